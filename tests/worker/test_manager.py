"""The manager (jobs/worker/manager.py): processor threads, running table, watchdog.

In process, on real Redis, with a real job supply and executor; the watchdog's clock is
the test's, so a timeout is reached by moving it, not by waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import redis

from jobs import Job
from jobs.conf import get_settings
from jobs.payload import loads
from jobs.queue_order import QueueOrder
from jobs.redis import keys
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.worker.executor import Executor
from jobs.worker.manager import TIMEOUT_GRACE, Manager
from jobs.worker.stats import Counters
from jobs.worker.supply import JobSupply
from tests.helpers import HandClock, wait_for

IDENTITY = "host:1:manager"
INPROGRESS = keys.inprogress(IDENTITY)
RELEASE = threading.Event()
DONE: list[str] = []


class CountJob(Job):
    def perform(self) -> None:
        DONE.append(self.jid)


class HoldJob(Job):
    """Blocked in C until released: deaf to the JobTimeout raised in its thread."""

    timeout = 5

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 3600

    def perform(self) -> None:
        RELEASE.wait(30)


class LoopJob(HoldJob):
    """Back in Python every 10 ms: hears JobTimeout."""

    def perform(self) -> None:
        while not RELEASE.wait(0.01):
            pass


Start = Callable[[int], Manager]


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def start(app_redis: redis.Redis, redis_url: str, clock: HandClock) -> Iterator[Start]:
    RELEASE.clear()
    DONE.clear()
    running: list[tuple[Manager, JobSupply]] = []

    def start_manager(concurrency: int) -> Manager:
        health = RedisHealth("test")
        order = QueueOrder.from_entries(["default"])
        supply = JobSupply(app_redis, redis_url, IDENTITY, order, health)
        executor = Executor(get_settings(), Counters(), Clock())
        manager = Manager(concurrency, supply, executor, now=clock)
        supply.start()
        manager.start()
        running.append((manager, supply))
        return manager

    yield start_manager
    RELEASE.set()
    for manager, supply in running:
        supply.quiet()
        supply.give_back_unstarted(3.0)
        manager.wait_idle(5.0)
        manager.stop()
        manager.join(5.0)
        supply.stop(5.0)


def retries(client: redis.Redis) -> list[dict[str, object]]:
    return [dict(loads(raw)) for raw in client.zrange(keys.RETRY, 0, -1)]


def test_the_threads_run_every_job_and_ack_it(redis_client: redis.Redis, start: Start) -> None:
    manager = start(3)
    jids = [CountJob.perform_async() for _ in range(30)]
    wait_for(lambda: len(DONE) == 30, 15, what="every job")
    assert sorted(DONE) == sorted(jids)
    wait_for(lambda: redis_client.llen(INPROGRESS) == 0, 5, what="every ack")
    assert manager.wait_idle(1.0)
    assert redis_client.llen(keys.queue("default")) == 0


def test_the_running_table_shows_each_job_until_it_ends(
    redis_client: redis.Redis, start: Start
) -> None:
    manager = start(2)
    held = HoldJob.perform_async()
    wait_for(lambda: manager.busy() == 1, 10, what="the job to run")
    [(tid, run)] = manager.running()
    assert run.job.jid == held
    assert tid.isalnum()
    assert not manager.wait_idle(0.05)
    RELEASE.set()
    assert manager.wait_idle(5.0)
    assert manager.running() == []
    wait_for(lambda: redis_client.llen(INPROGRESS) == 0, 5, what="the ack")


def test_a_job_that_hears_its_timeout_is_retried(
    redis_client: redis.Redis, start: Start, clock: HandClock
) -> None:
    manager = start(1)
    LoopJob.perform_async()
    wait_for(lambda: manager.busy() == 1, 10, what="the job to run")
    clock.now += 5.1
    wait_for(lambda: len(retries(redis_client)) == 1, 10, what="the retry")
    [record] = retries(redis_client)
    assert "JobTimeout" in str(record["error_class"])
    assert record["error_message"] == "ran longer than its timeout of 5 s"
    assert manager.busy() == 0
    wait_for(lambda: redis_client.llen(INPROGRESS) == 0, 5, what="the job out of progress")


def test_a_thread_stuck_past_the_grace_is_replaced(
    redis_client: redis.Redis, start: Start, clock: HandClock
) -> None:
    manager = start(1)
    HoldJob.perform_async()
    wait_for(lambda: manager.busy() == 1, 10, what="the job to run")
    clock.now += 5.1
    wait_for(
        lambda: all(run.interrupted_at is not None for _, run in manager.running_items()),
        5,
        what="the interruption",
    )
    assert retries(redis_client) == [], "still within the grace"
    clock.now += TIMEOUT_GRACE
    wait_for(lambda: len(retries(redis_client)) == 1, 10, what="the watchdog's retry")
    [record] = retries(redis_client)
    assert "ignored the interruption" in str(record["error_message"])
    assert manager.busy() == 0
    after = CountJob.perform_async()  # the only thread is stuck: a replacement runs it
    wait_for(lambda: after in DONE, 10, what="the replacement thread to run a job")
    RELEASE.set()  # the stuck job ends now: its own result must not be reported again
    wait_for(lambda: redis_client.llen(INPROGRESS) == 0, 5, what="every ack")
    assert manager.wait_idle(5.0)
    assert len(retries(redis_client)) == 1


class UniqueHoldJob(HoldJob):
    """Unique, and dead at its first failure: its lock must go with it."""

    unique_for = 600
    retry = 0


def test_a_unique_job_abandoned_to_dead_releases_its_lock(
    redis_client: redis.Redis, start: Start, clock: HandClock
) -> None:
    manager = start(1)
    jid = UniqueHoldJob.perform_async()
    assert jid is not None
    [lock] = redis_client.keys(keys.unique("*"))
    assert redis_client.hget(lock, jid) is not None
    wait_for(lambda: manager.busy() == 1, 10, what="the job to run")
    clock.now += 5.1
    wait_for(
        lambda: all(run.interrupted_at is not None for _, run in manager.running_items()),
        5,
        what="the interruption",
    )
    clock.now += TIMEOUT_GRACE
    wait_for(lambda: redis_client.zcard(keys.DEAD) == 1, 10, what="the watchdog's dead move")
    wait_for(lambda: not redis_client.exists(lock), 5, what="the lock's release")
    assert UniqueHoldJob.perform_async() is not None, "an identical job can be pushed again"
