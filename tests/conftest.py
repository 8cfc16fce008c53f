"""Shared fixtures: a private Redis database per test run, flushed before each test.

Several test runs may share one Redis server (developers, CI legs): each run takes
the first database number (1-15) whose lock file it can hold, so they never collide.
`bin/test` exports JOBS_TEST_REDIS (host and port, no database) when it had to start
its own server.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

import pytest
import redis
from django.conf import settings
from django.test.utils import override_settings

from jobs.redis.connection import reset_clients
from tests.helpers import Worker

BASE_URL = os.environ.get("JOBS_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")
ROOT = Path(__file__).resolve().parent.parent


class WorkerFactory(Protocol):
    def __call__(
        self, *args: str, env: dict[str, str] | None = ..., settings: str = ...
    ) -> Worker: ...


def _lock_database() -> tuple[int, IO[str]]:
    for db in range(1, 16):
        path = (
            Path(tempfile.gettempdir()) / f"jobs-test-redis-{BASE_URL.rsplit(':', 1)[-1]}-{db}.lock"
        )
        handle = path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return db, handle
    raise RuntimeError("every Redis test database 1-15 is locked by another test run")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of this run's private Redis database; also put in the settings and environment."""
    db, handle = _lock_database()
    url = f"{BASE_URL}/{db}"
    os.environ["REDIS_URL"] = url
    jobs_settings = {**getattr(settings, "JOBS", {}), "REDIS_URL": url}
    with override_settings(JOBS=jobs_settings):
        reset_clients()
        yield url
    reset_clients()
    handle.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the private database, flushed before the test starts."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def start_worker(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[WorkerFactory]:
    """Start real `runworker` processes; every one still running is killed at the end."""
    started: list[Worker] = []

    def start(
        *args: str, env: dict[str, str] | None = None, settings: str = "tests.settings"
    ) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = Worker(redis_url, log, list(args) or None, env, settings)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()
