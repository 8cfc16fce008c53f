"""The demo's task: `manage.py mood_advice` enqueues it, a worker runs it, the command reads it."""

from __future__ import annotations

import pytest
import redis

from tests.conftest import WorkerFactory
from tests.helpers import run_manage

pytestmark = pytest.mark.slow


def test_mood_advice_comes_back_from_a_worker(
    redis_client: redis.Redis, start_worker: WorkerFactory, redis_url: str
) -> None:
    start_worker("-c", "2").wait_ready()
    output = run_manage("mood_advice", "happy", redis_url=redis_url)
    assert "SUCCESSFUL after 1 attempt(s): Glad to hear it!" in output


def test_mood_advice_says_when_no_worker_runs(redis_client: redis.Redis, redis_url: str) -> None:
    output = run_manage("mood_advice", "ok", "--wait", "0.5", redis_url=redis_url)
    assert "no worker ran task" in output
    assert "is `manage.py runworker` running?" in output
