"""kill -9 chaos: several workers, a random one SIGKILLed every 2 s and restarted.

Published figures: lost (must be 0), duplicates (bounded by threads x kills: each
kill can repeat at most the jobs its threads had finished but not yet acknowledged),
max runs per jid, recovery latency p50/p99 (kill -> the orphan starts again
elsewhere: about the heartbeat TTL), in-progress lists left after the TTL (must be 0).
"""

from __future__ import annotations

import random
import time

import pytest
import redis

from jobs.conf import get_settings
from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.reliability.conftest import Profile
from tests.reliability.fleet import Fleet, Kill, orphan_lists, stranded
from tests.reliability.ledger import Ledger, percentile
from tests.reliability.report import Reporter
from tests.testapp.jobs import BarrierJob, LedgerJob

pytestmark = pytest.mark.slow

KILL_EVERY = 2.0
THREADS = 4


def enqueue(durations: list[int]) -> list[str]:
    jids: list[str] = []
    for start in range(0, len(durations), 1000):
        jids += LedgerJob.perform_bulk([[ms] for ms in durations[start : start + 1000]])
    return jids


def recovery_latencies(ledger: Ledger, kills: list[Kill]) -> tuple[list[float], int]:
    """Milliseconds from each kill to each orphan's next start; and orphans never restarted."""
    latencies: list[float] = []
    missing = 0
    for kill in kills:
        restarted = ledger.first_start_after(kill.orphans, kill.at)
        latencies += [(at - kill.at) * 1000 for at in restarted.values()]
        missing += len(set(kill.orphans) - set(restarted))
    return latencies, missing


@pytest.mark.timeout(1500)
def test_kill_9_chaos_loses_nothing(
    redis_client: redis.Redis,
    start_worker: WorkerFactory,
    ledger: Ledger,
    profile: Profile,
    figures: Reporter,
) -> None:
    count = profile.pick(1500, 10_000)
    size = profile.pick(3, 4)
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    ttl = get_settings().HEARTBEAT_TTL
    fleet = Fleet(
        start_worker,
        redis_client,
        size,
        ["-c", str(THREADS), "-q", "critical", "-q", "default"],
        ledger.env,
    )
    fleet.start()
    began = time.monotonic()
    jids = enqueue([rng.randint(20, 200) for _ in range(count)])

    kills: list[Kill] = []
    deadline = began + profile.pick(240, 1200)
    next_kill = time.monotonic() + KILL_EVERY
    while ledger.ended() < count:
        assert time.monotonic() < deadline, f"only {ledger.ended()} of {count} jobs ended"
        fleet.supervise()
        if time.monotonic() >= next_kill:
            kill = fleet.kill_random(rng)
            if kill is not None:
                kills.append(kill)
            next_kill = time.monotonic() + KILL_EVERY
        time.sleep(0.05)
    wall = time.monotonic() - began

    # Dead owners' lists are recovered within the TTL (plus a beat or two).
    orphans_cleared = wait_for(
        lambda: not orphan_lists(redis_client),
        ttl + 5,
        "no orphan list",
        interval=0.1,
        raise_on_timeout=False,
    )
    orphans_left = len(orphan_lists(redis_client))
    # With every job done, live workers hold nothing in progress.
    wait_for(
        lambda: stranded(redis_client) == 0,
        5,
        "no job in progress",
        interval=0.1,
        raise_on_timeout=False,
    )
    stranded_jobs = stranded(redis_client)
    # Every thread of the fleet alive: one barrier job per thread, all running at once.
    threads = len(fleet.members) * THREADS
    BarrierJob.perform_bulk([[threads, "barrier", 20]] * threads)
    wait_for(lambda: ledger.ended("barrier") == threads, 60, what="the barrier jobs")
    threads_alive = ledger.max_concurrent("barrier")
    exit_codes = fleet.stop()
    requeued_at_stop = int(redis_client.llen("queue:default"))

    tally = ledger.tally(jids)
    latencies, not_restarted = recovery_latencies(ledger, kills)
    bound = THREADS * len(kills)
    figures(
        "kill -9 chaos",
        jobs=count,
        workers=size,
        threads=THREADS,
        kills=len(kills),
        lost=tally.lost,
        duplicates=tally.duplicates,
        duplicate_bound=bound,
        max_runs_per_jid=tally.max_runs,
        interrupted_runs=tally.interrupted,
        orphans=sum(len(k.orphans) for k in kills),
        recovery_p50_ms=percentile(latencies, 0.5),
        recovery_p99_ms=percentile(latencies, 0.99),
        inprogress_lists_left=orphans_left,
        stranded_in_live_lists=stranded_jobs,
        requeued_at_stop=requeued_at_stop,
        unexpected_exits=len(fleet.unexpected_exits),
        threads_alive=f"{threads_alive}/{threads}",
        wall_s=round(wall, 1),
        seed=seed,
    )
    assert kills, "no worker was killed"
    assert tally.lost == 0
    assert tally.unexpected == 0
    assert redis_client.zcard("dead") == 0, "a job was taken for a poison pill"
    assert orphans_cleared
    assert orphans_left == 0
    assert tally.duplicates <= bound
    assert fleet.unexpected_exits == []
    assert threads_alive == threads
    assert exit_codes == [0] * len(exit_codes)
    assert not list(redis_client.scan_iter("jobs:inprogress:*"))
    assert not_restarted <= tally.duplicates + len(kills), "orphans neither re-ran nor were acked"
    assert stranded_jobs == 0, f"{stranded_jobs} finished job(s) never acknowledged"
    assert requeued_at_stop == 0, "a clean stop pushed back jobs that had finished"
