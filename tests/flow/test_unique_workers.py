"""Unique jobs with real workers: the lock goes with the ack, stays for a retry, expires."""

from __future__ import annotations

import redis

from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.reliability.ledger import Ledger
from tests.testapp.flow_jobs import UniqueFailJob, UniqueLedgerJob


def locks(client: redis.Redis) -> int:
    return len(list(client.scan_iter(match="jobs:unique:*")))


def test_lock_released_on_success(
    start_worker: WorkerFactory, redis_client: redis.Redis, ledger: Ledger
) -> None:
    assert UniqueLedgerJob.perform_async(10, "s") is not None
    start_worker("-c", "2", env=ledger.env)
    wait_for(lambda: ledger.ended("s") == 1, 60, "the unique job to end")
    wait_for(lambda: locks(redis_client) == 0, 30, "its lock to go with the ack")
    assert UniqueLedgerJob.perform_async(10, "s") is not None
    wait_for(lambda: ledger.ended("s") == 2, 60, "the second one to end")


def test_lock_kept_for_a_retry_and_released_on_dead_and_drop(
    start_worker: WorkerFactory, redis_client: redis.Redis
) -> None:
    UniqueFailJob.perform_async("retried")
    UniqueFailJob.set(retry=0).perform_async("dead")
    UniqueFailJob.set(retry=False).perform_async("dropped")
    start_worker("-c", "2")
    wait_for(lambda: redis_client.zcard("retry") == 1, 60, "a retry")
    wait_for(lambda: redis_client.zcard("dead") == 1, 60, "a dead job")
    wait_for(lambda: locks(redis_client) == 1, 30, "the dead and dropped jobs' locks to go")
    assert UniqueFailJob.perform_async("retried") is None  # pending in the retry set
    assert UniqueFailJob.set(retry=0).perform_async("dead") is not None
    assert UniqueFailJob.set(retry=False).perform_async("dropped") is not None


def test_unique_until_start_releases_when_the_job_starts(
    start_worker: WorkerFactory, ledger: Ledger
) -> None:
    early = UniqueLedgerJob.set(unique_until="start")
    assert early.perform_async(3000, "st") is not None
    assert early.perform_async(3000, "st") is None
    start_worker("-c", "2", env=ledger.env)
    wait_for(lambda: len(ledger.events("start")) == 1, 60, "the job to start")
    assert ledger.ended("st") == 0
    assert early.perform_async(3000, "st") is not None  # while the first still runs


def test_kill_9_leaves_a_lock_that_expires_after_unique_for(
    start_worker: WorkerFactory, redis_client: redis.Redis, ledger: Ledger
) -> None:
    short = UniqueLedgerJob.set(unique_for=3)
    assert short.perform_async(60_000, "k") is not None
    victim = start_worker("-c", "2", env=ledger.env)
    wait_for(lambda: len(ledger.events("start")) == 1, 60, "the job to start")
    victim.kill()
    assert short.perform_async(60_000, "k") is None  # its lock outlives the worker...
    wait_for(lambda: locks(redis_client) == 0, 10, "...until unique_for runs out")
    assert short.perform_async(60_000, "k") is not None
