"""Reading a record back: every field checked, RUNNING derived, nothing imported."""

from __future__ import annotations

import pytest

from jobs.tasks.compat import TaskResultDoesNotExist, TaskResultStatus
from jobs.tasks.results import Attempts, status_of, to_result
from tests.testapp.tasks import add

BASE = {"task": "tests.testapp.tasks.add", "args": "[1, 2]", "kwargs": "{}", "queue": "default"}


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, TaskResultStatus.READY),
        ({"status": "READY", "worker:1": "w", "started:1": "1"}, TaskResultStatus.RUNNING),
        ({"status": "READY", "worker:1": "w", "done": "1"}, TaskResultStatus.READY),
        ({"status": "READY", "worker:2": "w", "done": "1"}, TaskResultStatus.RUNNING),
        ({"status": "SUCCESSFUL", "worker:1": "w", "done": "1"}, TaskResultStatus.SUCCESSFUL),
        ({"status": "FAILED", "worker:1": "w", "done": "1"}, TaskResultStatus.FAILED),
        ({"status": "RUNNING"}, TaskResultStatus.READY),  # never stored: not trusted
        ({"status": "evil", "done": "x"}, TaskResultStatus.READY),
    ],
)
def test_status(fields: dict[str, str], status: TaskResultStatus) -> None:
    assert status_of(fields, Attempts.of(fields)) == status


def test_a_full_record() -> None:
    fields = {
        **BASE,
        "status": "SUCCESSFUL",
        "enqueued_at": "1000.0",
        "worker:1": "a:1",
        "started:1": "1001.0",
        "error:1": '{"exception_class_path": "builtins.ValueError", "traceback": "tb"}',
        "worker:2": "b:2",
        "started:2": "1030.5",
        "done": "2",
        "finished_at": "1031.0",
        "return_value": '{"sum": 3}',
    }
    result = to_result("j" * 24, fields)
    assert result.task.func is add.func
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"sum": 3}
    assert result.worker_ids == ["a:1", "b:2"]
    assert result.attempts == 2
    assert [e.exception_class_path for e in result.errors] == ["builtins.ValueError"]
    times = [result.enqueued_at, result.started_at, result.last_attempted_at, result.finished_at]
    assert [t.timestamp() if t else None for t in times] == [1000.0, 1001.0, 1030.5, 1031.0]


def test_a_hostile_record_still_reads() -> None:
    fields = {
        **BASE,
        "args": "{not json",
        "kwargs": "[1]",
        "enqueued_at": "yesterday",
        "started:1": "1e400",
        "worker:1": "w",
        "error:1": '"a string"',
        "error:x": "ignored",
        "status": "SUCCESSFUL",
        "return_value": "[" * 100_000,
    }
    result = to_result("j" * 24, fields)
    assert result.args == []
    assert result.kwargs == {}
    assert result.enqueued_at is None
    assert result.started_at is None
    assert result.errors == []
    assert result.return_value is None


def test_a_record_without_a_task_does_not_exist() -> None:
    with pytest.raises(TaskResultDoesNotExist, match="unknown, or expired"):
        to_result("j" * 24, {"status": "SUCCESSFUL"})


def test_a_queue_the_settings_no_longer_allow_keeps_the_task_as_registered() -> None:
    result = to_result("j" * 24, {**BASE, "queue": "gone"})
    assert result.task.queue_name == "default"
