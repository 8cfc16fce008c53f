"""Graceful shutdown under load: TERM, TSTP then TERM, and TERM twice.

A worker with every thread busy (two jobs longer than the shutdown timeout, the
rest short) and a backlog behind them gets its signals; a second worker then
drains whatever came back. Published figures per mode: exit code, wall time from
the last signal to exit, jobs started after the signal, jobs pushed back (or left
for recovery), lost (must be 0) and duplicated completed runs.
"""

from __future__ import annotations

import re
import signal
import time
from dataclasses import dataclass

import pytest
import redis

from jobs.conf import get_settings
from jobs.redis import keys
from tests.conftest import WorkerFactory
from tests.helpers import Worker, wait_for
from tests.reliability.conftest import Profile
from tests.reliability.ledger import Ledger
from tests.reliability.report import Reporter
from tests.testapp.jobs import LedgerJob

pytestmark = pytest.mark.slow

THREADS = 4
TIMEOUT = 2.0  # --timeout: shorter than the long jobs
LONG_MS = 4000
SHORT_MS = 50


@dataclass(frozen=True)
class Stopped:
    exit_code: int
    wall_s: float  # last signal -> exit
    signalled_at: float  # time.time() of the first signal
    identity: str


def busy_worker(
    start_worker: WorkerFactory, ledger: Ledger, backlog: int
) -> tuple[Worker, str, list[str]]:
    """A worker with two long jobs and short ones running, `backlog` more queued."""
    worker = start_worker(
        "-c", str(THREADS), "-q", "default", "--timeout", str(TIMEOUT), env=ledger.env
    )
    identity = worker.wait_ready()
    jids = LedgerJob.perform_bulk([[LONG_MS], [LONG_MS]] + [[SHORT_MS]] * backlog)
    wait_for(lambda: ledger.ended() >= 2 * THREADS, 30, what="short jobs flowing")
    return worker, identity, jids


def started_after(ledger: Ledger, at: float) -> int:
    return sum(1 for _, when, *_ in ledger.events("start") if when > at)


def pushed_back(worker: Worker) -> int:
    match = re.search(r"(\d+) unfinished job\(s\) pushed back", worker.log())
    return int(match.group(1)) if match else -1


def drain(start_worker: WorkerFactory, ledger: Ledger, jids: list[str], timeout: float) -> Worker:
    rescuer = start_worker("-c", str(THREADS), "-q", "default", env=ledger.env)
    wait_for(lambda: not ledger.tally(jids).lost, timeout, interval=0.1, what="every job to end")
    return rescuer


def term(worker: Worker, identity: str) -> Stopped:
    at = time.time()
    began = time.monotonic()
    worker.signal(signal.SIGTERM)
    code = worker.process.wait(TIMEOUT + 30)
    return Stopped(code, time.monotonic() - began, at, identity)


def tstp_then_term(worker: Worker, identity: str, client: redis.Redis) -> Stopped:
    at = time.time()
    worker.signal(signal.SIGTSTP)
    wait_for(lambda: client.hget(identity, "quiet") == b"true", 10, what="quiet")
    # Quiet: whatever was running finishes (the long jobs too); nothing new starts.
    wait_for(lambda: client.hget(identity, "busy") == b"0", LONG_MS / 1000 + 10, what="idle")
    began = time.monotonic()
    worker.signal(signal.SIGTERM)
    code = worker.process.wait(TIMEOUT + 30)
    return Stopped(code, time.monotonic() - began, at, identity)


def term_twice(worker: Worker, identity: str) -> Stopped:
    at = time.time()
    worker.signal(signal.SIGTERM)
    wait_for(lambda: "stopping" in worker.log(), 10, what="the first TERM to be logged")
    began = time.monotonic()
    worker.signal(signal.SIGTERM)
    code = worker.process.wait(10)
    return Stopped(code, time.monotonic() - began, at, identity)


@pytest.mark.parametrize("mode", ["TERM", "TSTP+TERM", "TERM+TERM"])
def test_graceful_shutdown_loses_nothing(
    mode: str,
    redis_client: redis.Redis,
    start_worker: WorkerFactory,
    ledger: Ledger,
    profile: Profile,
    figures: Reporter,
) -> None:
    backlog = profile.pick(80, 2000)
    worker, identity, jids = busy_worker(start_worker, ledger, backlog)
    if mode == "TERM":
        stopped = term(worker, identity)
    elif mode == "TSTP+TERM":
        stopped = tstp_then_term(worker, identity, redis_client)
    else:
        stopped = term_twice(worker, identity)
    exited_at = time.time()
    unfinished = ledger.tally(jids).interrupted  # started, not ended, when the worker exited
    left = int(redis_client.llen(keys.inprogress(identity)))
    late_starts = started_after(ledger, stopped.signalled_at)
    late_starts_after_exit = started_after(ledger, exited_at)

    rescuer = drain(start_worker, ledger, jids, get_settings().HEARTBEAT_TTL + 60)
    tally = ledger.tally(jids)
    requeued = pushed_back(worker) if mode != "TERM+TERM" else left
    figures(
        f"shutdown {mode}",
        exit_code=stopped.exit_code,
        wall_s=round(stopped.wall_s, 2),
        timeout_s=TIMEOUT,
        threads=THREADS,
        started_after_signal=late_starts,
        unfinished_at_exit=unfinished,
        requeued=requeued,
        lost=tally.lost,
        duplicates=tally.duplicates,
        max_runs_per_jid=tally.max_runs,
    )
    assert late_starts_after_exit == 0
    assert tally.lost == 0
    assert tally.unexpected == 0
    assert rescuer.stop() == 0
    assert not list(redis_client.scan_iter("jobs:inprogress:*"))
    assert redis_client.llen(keys.queue("default")) == 0
    if mode == "TERM+TERM":
        assert stopped.exit_code == 1
        assert left == unfinished + tally.duplicates  # running, or finished and not yet acked
        assert tally.duplicates <= THREADS
        return
    assert stopped.exit_code == 0
    assert left == 0
    assert late_starts <= THREADS  # fetches already in flight when the signal came
    assert unfinished == (2 if mode == "TERM" else 0)  # the two long jobs, past the timeout
    leaked = requeued - unfinished  # finished jobs pushed back too: never acknowledged
    assert leaked == 0, f"{leaked} finished job(s) never acknowledged ran twice"
    assert tally.duplicates == 0
