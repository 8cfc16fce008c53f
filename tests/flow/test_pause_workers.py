"""Queue pause with real workers: nothing starts 1 s after a pause, until the resume."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis

from jobs.api import Queue
from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.reliability.ledger import Ledger
from tests.testapp.jobs import LedgerJob


@pytest.fixture
def producer(redis_client: redis.Redis) -> Iterator[threading.Event]:
    """Enqueue a 20 ms LedgerJob to `default` (tag "d") and to `other` (tag "o") every 20 ms."""
    stop = threading.Event()

    def produce() -> None:
        while not stop.wait(0.02):
            LedgerJob.perform_async(20, "d")
            LedgerJob.set(queue="other").perform_async(20, "o")

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    yield stop
    stop.set()
    thread.join(10)


def starts(ledger: Ledger, tag: str) -> list[float]:
    return [at for _, at, _, _, t in ledger.events("start") if t == tag]


@pytest.mark.parametrize("hint", [True, False], ids=["pubsub-hint", "periodic-read"])
def test_no_job_starts_later_than_1_s_after_a_pause_until_resumed(
    hint: bool,
    start_worker: WorkerFactory,
    redis_client: redis.Redis,
    app_redis: redis.Redis,
    ledger: Ledger,
    producer: threading.Event,
) -> None:
    # One worker on `default` alone (threads wait in BLMOVE themselves), one on both
    # queues (blocker threads, the Lua fetch and prefetch).
    alone = start_worker("-c", "5", "-q", "default", env=ledger.env)
    both = start_worker("-c", "5", "-q", "default", "-q", "other", env=ledger.env)
    pids = {alone.pid, both.pid}
    wait_for(
        lambda: {pid for _, _, pid, _, tag in ledger.events("start") if tag == "d"} == pids,
        60,
        "both workers to run jobs of default",
    )
    queue = Queue(app_redis, "default")
    paused_at = time.time()
    if hint:
        queue.pause()
    else:  # as if pub/sub were refused: the workers' periodic read alone must see it
        redis_client.sadd("jobs:paused", "default")
    assert queue.paused
    before = len(starts(ledger, "o"))
    # While paused: `other` keeps running, and the pause lasts past the 1 s allowed.
    wait_for(lambda: len(starts(ledger, "o")) >= before + 50, 60, "other to keep running")
    wait_for(lambda: time.time() > paused_at + 2.0, 10, "the pause to last 2 s")
    assert redis_client.llen("queue:default") >= 20  # still enqueued to, not run
    resumed_at = time.time()
    queue.resume()
    assert not queue.paused
    wait_for(lambda: [at for at in starts(ledger, "d") if at > resumed_at], 60, "default to resume")
    producer.set()
    during = [at for at in starts(ledger, "d") if paused_at < at < resumed_at]
    latest = max(during, default=paused_at) - paused_at
    print(f"{hint=}: latest start after the pause {latest * 1000:.0f} ms; {len(during)} started")
    assert latest <= 1.0
    assert resumed_at - paused_at > 1.0  # the pause lasted past the 1 s allowed


def test_a_pause_survives_worker_restarts(
    start_worker: WorkerFactory, redis_client: redis.Redis, app_redis: redis.Redis, ledger: Ledger
) -> None:
    Queue(app_redis, "default").pause()
    jids = [LedgerJob.perform_async(10, "d") for _ in range(5)]
    LedgerJob.set(queue="other").perform_async(10, "o")
    worker = start_worker("-c", "3", "-q", "default", "-q", "other", env=ledger.env)
    wait_for(lambda: ledger.ended("o") == 1, 60, "the job of the other queue")
    assert worker.stop() == 0
    worker = start_worker("-c", "3", "-q", "default", env=ledger.env)
    worker.wait_ready()
    LedgerJob.set(queue="other").perform_async(10, "o")
    assert redis_client.llen("queue:default") == 5
    assert ledger.ended("d") == 0
    Queue(app_redis, "default").resume()
    wait_for(lambda: ledger.ended("d") == 5, 60, "the paused jobs to run after the resume")
    assert ledger.tally(jids, "d").duplicates == 0


def test_pause_and_resume_are_kept_in_redis(app_redis: redis.Redis) -> None:
    one, two = Queue(app_redis, "one"), Queue(app_redis, "two")
    one.pause()
    assert one.paused
    assert not two.paused
    assert app_redis.smembers("jobs:paused") == {b"one"}
    one.resume()
    assert not one.paused
