"""django.tasks tasks the tests run through jobs.tasks.JobsBackend in real workers.

Each records what it did in Redis (`ledger:*`, the admin's connection, as the test
jobs do). The receivers at the bottom record the three django.tasks signals in the
workers started with JOBS_TEST_TASK_SIGNALS=1 (they cost a connection each).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from jobs.tasks.compat import TaskContext, TaskResult, task_enqueued, task_finished, task_started
from tests.testapp.jobs import ledger

try:  # Django 6+
    from django.tasks import task
except ImportError:  # Django 5.2 and the backport
    from django_tasks import task  # type: ignore[no-redef]


@task
def add(a: int, b: int, *, label: str = "") -> dict[str, Any]:
    """Return the sum, and say it ran."""
    ledger().rpush("ledger:task:add", label)
    return {"sum": a + b, "label": label}


@task(queue_name="critical")
def shout(word: str) -> str:
    return word.upper()


@task
async def double_later(value: int) -> int:
    """A coroutine function: the worker runs it in an event loop."""
    import asyncio

    await asyncio.sleep(0.01)
    return value * 2


@task(retry=3)
def flaky(times: int) -> int:
    """Fail `times` times (one per attempt), then return how many attempts it took."""
    from tests.testapp.jobs import ledger as book

    run = int(book().incr("ledger:task:flaky"))
    if run <= times:
        raise ValueError(f"flaky failure {run} of {times}")
    return run


@task(retry=0)
def doomed(message: str) -> None:
    """Fail at once, with no retry left."""
    raise LookupError(message)


@task
def returns_a_set() -> Any:
    return {1, 2, 3}


@task
def returns_big(size: int) -> str:
    return "x" * size


@task
def nap(seconds: float) -> str:
    """Mark the start, sleep, mark the end (for tests that kill the worker meanwhile)."""
    ledger().rpush("ledger:task:started", "nap")
    time.sleep(seconds)
    ledger().rpush("ledger:task:finished", "nap")
    return "rested"


@task(takes_context=True, retry=2)
def count_attempts(context: TaskContext, fail_first: bool) -> int:
    """Return the attempt number, failing on the first attempt when asked."""
    attempt = context.attempt
    ledger().rpush("ledger:task:attempts", attempt)
    if fail_first and attempt == 1:
        raise RuntimeError("first attempt fails")
    return attempt


def _record(name: str, task_result: TaskResult[Any, Any], **kwargs: Any) -> None:
    entry = {
        "signal": name,
        "id": task_result.id,
        "status": str(task_result.status),
        "attempts": task_result.attempts,
    }
    ledger().rpush("ledger:task:signals", json.dumps(entry))


def _on_enqueued(sender: type, task_result: TaskResult[Any, Any], **kwargs: Any) -> None:
    _record("enqueued", task_result)


def _on_started(sender: type, task_result: TaskResult[Any, Any], **kwargs: Any) -> None:
    _record("started", task_result)


def _on_finished(sender: type, task_result: TaskResult[Any, Any], **kwargs: Any) -> None:
    _record("finished", task_result)


if os.environ.get("JOBS_TEST_TASK_SIGNALS") == "1":  # only in the workers of the signals test
    task_enqueued.connect(_on_enqueued, dispatch_uid="tests-task-enqueued")
    task_started.connect(_on_started, dispatch_uid="tests-task-started")
    task_finished.connect(_on_finished, dispatch_uid="tests-task-finished")


@task
def noop() -> None:
    """Nothing: what a task costs the worker on its own (tests/tasks/test_speed.py)."""


@task(retry=0)
def broken_once() -> str:
    """Fail on the first run (no retry: dead), succeed when run again by hand."""
    if ledger().incr("ledger:task:broken_once") == 1:
        raise RuntimeError("broken the first time")
    return "mended"
