"""Redis goes away under a running worker and comes back: the worker resumes on its own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.client import push_payloads
from jobs.redis.connection import make_client
from tests.conftest import WorkerFactory
from tests.helpers import PrivateRedis, wait_for
from tests.testapp.jobs import RecordJob


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def push(server: PrivateRedis, value: str) -> str:
    payload = RecordJob.set().build([value], time.time())
    client = make_client(server.url)  # as the application: the ACL user
    push_payloads([payload], client)
    client.close()
    return str(payload["jid"])


@pytest.mark.slow
def test_worker_survives_redis_restart(
    private_redis: PrivateRedis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "3", env={"REDIS_URL": private_redis.url})
    wait_for(lambda: private_redis.client().scard("processes") == 1, 20, what="the worker to start")
    first = push(private_redis, "before")
    wait_for(
        lambda: private_redis.client().lrange("ledger:runs", 0, -1) == [first.encode()],
        10,
        what="the job before the outage to run",
    )

    private_redis.stop()
    wait_for(lambda: "unreachable" in worker.log(), 10, what="the outage to be logged")
    time.sleep(3)  # an outage long enough for every thread to hit it and back off
    private_redis.start()
    back = time.monotonic()
    second = push(private_redis, "after")
    wait_for(
        lambda: second.encode() in private_redis.client().lrange("ledger:runs", 0, -1),
        10,
        what="new job",
    )
    assert time.monotonic() - back < 10
    assert worker.process.poll() is None
    log = worker.log()
    outage_lines = [
        line for line in log.splitlines() if "unreachable" in line or "reachable again" in line
    ]
    assert 2 <= len(outage_lines) <= 6, outage_lines
    assert "Traceback" not in log
    # The heartbeat is back too: the process shows up again.
    wait_for(
        lambda: private_redis.client().scard("processes") == 1, 10, what="heartbeat after outage"
    )
    assert worker.stop() == 0


def test_eviction_policy_warning_at_start(tmp_path: Path, start_worker: WorkerFactory) -> None:
    server = PrivateRedis(tmp_path / "lru")
    server.start("--maxmemory-policy", "allkeys-lru")
    try:
        worker = start_worker("-c", "1", env={"REDIS_URL": server.url})
        wait_for(lambda: server.client().scard("processes") == 1, 20, what="the worker to start")
        assert "maxmemory-policy is 'allkeys-lru'" in worker.log()
        assert worker.stop() == 0
    finally:
        server.stop()
