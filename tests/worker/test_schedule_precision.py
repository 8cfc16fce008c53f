"""Scheduled jobs and retries start on time with real workers at the default POLL_INTERVAL.

Before the wake-up (jobs.worker.hints, WakeUp), a job due in 2 s started 3.4-8.3 s
after enqueue with two workers. Here every job must start within LATE_MAX of its due
time (generous for a loaded CI machine: precision is measured by bench/, not asserted
tightly), never before it, with 1 and 3 worker processes; a retry asked by
`Retry(in_=1)` likewise; a job added by a raw ZADD (a Ruby client: no announcement)
still runs, by the random poll.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import WorkerFactory
from tests.helpers import Worker, wait_for
from tests.reliability.ledger import Ledger
from tests.testapp.jobs import LedgerJob, LedgerRetryInJob

SETTINGS = "tests.worker.settings_schedule"
LATE_MAX = 0.5
EARLY_MAX = 0.05  # clock resolution between the test process and the worker's Redis clock
POLL_INTERVAL = 5.0  # tests/worker/settings_schedule.py


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    book = Ledger(tmp_path / "ledger.sqlite3")
    yield book
    book.close()


def start_workers(start_worker: WorkerFactory, ledger: Ledger, count: int) -> list[Worker]:
    workers = [
        start_worker("-c", "2", "-v", "0", env=ledger.env, settings=SETTINGS) for _ in range(count)
    ]
    for worker in workers:
        worker.wait_ready()
    return workers


def first_starts(ledger: Ledger) -> dict[str, float]:
    """tag -> the time its job first started."""
    found: dict[str, float] = {}
    for _jid, at, _pid, _thread, tag in ledger.events("start"):
        found.setdefault(tag, at)
    return found


@pytest.mark.parametrize("processes", [1, 3])
def test_scheduled_jobs_start_on_time(
    start_worker: WorkerFactory, ledger: Ledger, processes: int
) -> None:
    start_workers(start_worker, ledger, processes)
    due: dict[str, float] = {}
    for i in range(8):
        delay = 1.0 + (i % 5) * 0.5  # 1-3 s ahead, several due at the same time
        tag = f"job-{i}"
        if i % 2:
            at = time.time() + delay
            LedgerJob.perform_at(at, 0, tag)
        else:
            at = time.time() + delay  # perform_in's own `at` is a little later: a bound
            LedgerJob.perform_in(delay, 0, tag)
        due[tag] = at
    starts = wait_for(
        lambda: (found := first_starts(ledger)) and len(found) == len(due) and found,
        30,
        what="every scheduled job to start",
    )
    lateness = {tag: starts[tag] - at for tag, at in due.items()}
    assert all(late < LATE_MAX for late in lateness.values()), lateness
    assert all(late > -EARLY_MAX for late in lateness.values()), lateness


def test_a_retry_in_one_second_starts_on_time(start_worker: WorkerFactory, ledger: Ledger) -> None:
    start_workers(start_worker, ledger, 1)
    LedgerRetryInJob.perform_async(1, "retried")
    wait_for(lambda: ledger.ended("retried") == 1, 30, what="the retried job to run again")
    first, second = [
        at for *_, at, _pid, _thread, tag in ledger.events("start") if tag == "retried"
    ]
    # Due 1 s after its first run failed, which is later than the first start: a bound.
    assert 1.0 - EARLY_MAX < second - first < 1.0 + LATE_MAX, second - first


def test_a_job_added_without_announcement_runs_at_the_next_poll(
    start_worker: WorkerFactory, ledger: Ledger, redis_client: redis.Redis
) -> None:
    start_workers(start_worker, ledger, 1)
    LedgerJob.perform_in(3600, 0, "raw")
    [(member, _)] = redis_client.zrange("schedule", 0, 0, withscores=True)
    at = time.time() + 1
    # As a Ruby client schedules: a ZADD and nothing else (the pollers know only the hour).
    pipe = redis_client.pipeline(transaction=True)
    pipe.zrem("schedule", member)
    pipe.zadd("schedule", {member: at})
    pipe.execute()
    starts = wait_for(
        lambda: first_starts(ledger).get("raw"), 3 * POLL_INTERVAL, what="the raw ZADD's job"
    )
    # The random pass comes within 1.5 x POLL_INTERVAL (one process).
    assert -EARLY_MAX < starts - at < 1.5 * POLL_INTERVAL + LATE_MAX
