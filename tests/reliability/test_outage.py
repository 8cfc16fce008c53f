"""Redis goes away under busy workers: restart (with and without AOF), SIGSTOP, CLIENT PAUSE.

Two workers run a backlog against a private redis-server; mid-run Redis is shut
down (SHUTDOWN NOSAVE) and restarted, frozen with SIGSTOP/SIGCONT, or paused
with CLIENT PAUSE ALL. Then a barrier of one job per thread must run with every
job started at once, which proves every thread of both workers survived.
Published figures: time to resume, threads alive, log lines during the outage,
lost (must be 0 unless the restarted Redis kept nothing), duplicates.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jobs.client import push_payloads
from jobs.redis import keys
from jobs.redis.connection import SOCKET_TIMEOUT, make_client
from tests.conftest import WorkerFactory
from tests.helpers import PrivateRedis, Worker, wait_for
from tests.reliability.conftest import Profile
from tests.reliability.ledger import Ledger
from tests.reliability.report import Reporter
from tests.testapp.jobs import BarrierJob, LedgerJob

pytestmark = pytest.mark.slow

WORKERS = 2
THREADS = 3
AOF = ("--appendonly", "yes", "--appendfsync", "always")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateRedis]:
    private = PrivateRedis(tmp_path / "redis")
    yield private
    if private.process is not None and private.process.poll() is None:
        os.kill(private.process.pid, signal.SIGCONT)
    private.stop()


def push(server: PrivateRedis, payloads: list[dict[str, object]]) -> list[str]:
    client = make_client(server.url)  # as the application: the ACL user
    try:
        push_payloads(payloads, client)
    finally:
        client.close()
    return [str(p["jid"]) for p in payloads]


def backlog(server: PrivateRedis, count: int, rng: random.Random) -> list[str]:
    now = time.time()
    return push(server, [LedgerJob.set().build([rng.randint(20, 100)], now) for _ in range(count)])


def barrier(server: PrivateRedis, tag: str) -> list[str]:
    n = WORKERS * THREADS
    now = time.time()
    return push(server, [BarrierJob.set().build([n, tag, 20], now) for _ in range(n)])


def log_lines(workers: list[Worker]) -> int:
    return sum(len(w.log().splitlines()) for w in workers)


def restart(server: PrivateRedis, down_s: float, args: tuple[str, ...]) -> Callable[[], None]:
    def outage() -> None:
        client = server.client()
        client.shutdown(nosave=True)
        client.close()
        assert server.process is not None
        server.process.wait(10)
        server.process = None
        time.sleep(down_s)  # Redis is down: nothing to await but the clock
        server.start(*args)

    return outage


def freeze(server: PrivateRedis, stall_s: float) -> Callable[[], None]:
    def outage() -> None:
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGSTOP)
        time.sleep(stall_s)  # Redis is frozen: nothing to await but the clock
        os.kill(server.process.pid, signal.SIGCONT)

    return outage


def pause(server: PrivateRedis, stall_s: float) -> Callable[[], None]:
    def outage() -> None:
        client = server.client()
        client.client_pause(int(stall_s * 1000), all=True)
        client.close()
        # Let the pause run its course; the server unpauses by itself.
        wait_for(
            lambda: server.client().ping(), stall_s + 10, interval=0.05, what="CLIENT PAUSE to end"
        )

    return outage


SCENARIOS = ["restart-aof", "restart-memory", "sigstop", "client-pause"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_workers_ride_out_a_redis_outage(
    scenario: str,
    server: PrivateRedis,
    start_worker: WorkerFactory,
    ledger: Ledger,
    profile: Profile,
    figures: Reporter,
) -> None:
    persistent = scenario != "restart-memory"
    args = AOF if scenario == "restart-aof" else ()
    server.start(*args)
    down = profile.pick(4.0, 12.0)  # past the heartbeat TTL (3 s); long: past socket timeouts
    outage = {
        "restart-aof": restart(server, down, args),
        "restart-memory": restart(server, down, args),
        "sigstop": freeze(server, down),
        "client-pause": pause(server, down),
    }[scenario]
    rng = random.Random()
    env = {**ledger.env, "REDIS_URL": server.url}
    options = ("-c", str(THREADS), "-q", "critical", "-q", "default", "-v", "0")
    workers = [start_worker(*options, env=env) for _ in range(WORKERS)]
    watch = server.client()
    wait_for(lambda: watch.scard(keys.PROCESSES) == WORKERS, 30, what="both workers announced")
    jids = backlog(server, profile.pick(200, 2000), rng)
    wait_for(lambda: ledger.ended() >= 30, 30, what="the backlog flowing")

    lines_before = log_lines(workers)
    began = time.time()
    runner = threading.Thread(target=outage)
    runner.start()
    runner.join(down + 60)
    back = time.time()
    # A probe on the first queue of the strict order, so the backlog does not delay it.
    [probe] = push(server, [LedgerJob.set(queue="critical").build([1, "probe"], back)])
    wait_for(lambda: ledger.ended("probe"), 30, what="a job to run after the outage")
    resumed_at = ledger.first_start_after([probe], back)[probe]
    time.sleep(1.0)  # one more second for late "reachable again" lines: nothing to await
    lines_during = log_lines(workers) - lines_before

    tag = f"barrier-{scenario}"
    gate = barrier(server, tag)
    wait_for(lambda: ledger.ended(tag) == len(gate), 60, what="the barrier jobs")
    together = ledger.max_concurrent(tag)
    client = watch
    wait_for(
        lambda: (
            client.llen(keys.queue("default")) == 0
            and not any(client.llen(k) for k in client.scan_iter("jobs:inprogress:*"))
        ),
        60,
        "the queue and the in-progress lists empty",
        interval=0.1,
        raise_on_timeout=False,
    )
    tally = ledger.tally(jids)
    alive = sum(1 for w in workers if w.process.poll() is None)
    log = "\n".join(w.log() for w in workers)
    figures(
        f"redis {scenario}",
        outage_s=round(back - began, 1),
        resume_ms=round((resumed_at - back) * 1000, 1),
        threads_alive=together,
        threads=WORKERS * THREADS,
        workers_alive=alive,
        log_lines_during_outage=lines_during,
        jobs=len(jids),
        lost=tally.lost,
        duplicates=tally.duplicates,
        max_runs_per_jid=tally.max_runs,
    )
    assert alive == WORKERS
    assert together == WORKERS * THREADS, "a thread died in the outage"
    assert "Traceback" not in log
    assert lines_during <= 4 * WORKERS, log
    if scenario.startswith("restart"):
        assert lines_during >= WORKERS, "an outage went unreported"
    if persistent:
        assert tally.lost == 0
    for worker in workers:
        assert worker.stop() == 0
    client.close()


def test_a_fetch_whose_reply_is_lost_strands_no_job(
    server: PrivateRedis, start_worker: WorkerFactory, ledger: Ledger, figures: Reporter
) -> None:
    """Redis frozen past the client's socket timeout under one busy worker (no one to rescue).

    The fetches in flight time out on the client, then run when Redis wakes: their
    jobs land in the worker's own in-progress list with no thread to run them. The
    worker's reconciler must notice and put them back (jobs/worker/reconcile.py).
    """
    server.start()
    env = {**ledger.env, "REDIS_URL": server.url}
    worker = start_worker("-c", str(THREADS), "-q", "critical", "-q", "default", "-v", "0", env=env)
    watch = server.client()
    wait_for(lambda: watch.scard(keys.PROCESSES) == 1, 30, what="the worker announced")
    jids = backlog(server, 300, random.Random())
    wait_for(lambda: ledger.ended() >= 20, 30, what="the backlog flowing")
    stall = SOCKET_TIMEOUT + 2
    freeze(server, stall)()

    def queued() -> int:
        return int(watch.llen(keys.queue("default"))) + int(watch.llen(keys.queue("critical")))

    thawed = time.time()
    wait_for(  # the backlog is through
        lambda: not ledger.tally(jids).lost or not queued(),
        30,
        "the backlog to be through",
        interval=0.1,
        raise_on_timeout=False,
    )
    # Strays are put back after two beats and a backoff (6 s with the test settings).
    wait_for(
        lambda: not ledger.tally(jids).lost,
        30,
        "every job to end",
        interval=0.1,
        raise_on_timeout=False,
    )
    tally = ledger.tally(jids)
    stranded_jobs = sum(int(watch.llen(k)) for k in watch.scan_iter("jobs:inprogress:*"))
    log = worker.log()
    put_back = sum(
        int(line.split("put back ", 1)[1].split()[0])
        for line in log.splitlines()
        if "put back " in line and "unheld" in line
    )
    last_start = max(ledger.first_start_after(jids, thawed).values(), default=thawed)
    figures(
        "redis stall past the socket timeout",
        stall_s=stall,
        threads=THREADS,
        jobs=len(jids),
        lost=tally.lost,
        strays_put_back=put_back,
        stranded_in_progress=stranded_jobs,
        duplicates=tally.duplicates,
        last_start_after_thaw_s=round(last_start - thawed, 1),
        worker_alive=worker.process.poll() is None,
    )
    watch.close()
    assert worker.process.poll() is None
    assert tally.lost == 0, f"{stranded_jobs} job(s) stuck in the live worker's in-progress list"
    assert stranded_jobs == 0
    assert put_back >= 1, "no fetch was in flight when Redis froze: the test proved nothing"
    assert "Traceback" not in log
    assert worker.stop() == 0
