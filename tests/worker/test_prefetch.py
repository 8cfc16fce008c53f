"""Prefetch (jobs/worker/fetch.py PREFETCH): a thread on a deep queue of short jobs takes
several per round trip, but the extras never wait behind a long job."""

from __future__ import annotations

import time

import redis

from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.testapp.jobs import IncrJob, SlowJob

NEVER = 10**9  # IncrJob's "last run" count: not reached here


def done(client: redis.Redis) -> int:
    return int(client.get("bench:done") or 0)


def test_extras_fetched_with_a_long_job_go_back_to_the_queue(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "1", "-q", "default")
    identity = worker.wait_ready()
    IncrJob.perform_async(NEVER)  # warm-up: the job's own Redis client connects
    wait_for(lambda: done(redis_client) == 1, 15, what="the warm-up job")
    # From idle, one thread fetches 1 (the wake-up), 1, 2, then 4 while its jobs stay
    # short: after 4 short jobs the slow one opens a fetch of 4 and brings 3 along,
    # which nothing in this process can run for the next 3 s.
    IncrJob.perform_bulk([[NEVER]] * 4)
    SlowJob.perform_async(3)
    IncrJob.perform_bulk([[NEVER]] * 3)
    wait_for(lambda: redis_client.llen("ledger:started") == 1, 15, what="the slow job")
    started = time.monotonic()
    inprogress = f"jobs:inprogress:{identity}"
    wait_for(
        lambda: redis_client.llen(inprogress) == 1, 2, interval=0.02, what="the extras given back"
    )
    assert time.monotonic() - started < 2.5, "given back only when the slow job ended"
    assert redis_client.llen("queue:default") == 3
    assert done(redis_client) == 5
    wait_for(lambda: done(redis_client) == 8, 15, what="every job")
    assert redis_client.llen("ledger:finished") == 1
    assert worker.stop() == 0
