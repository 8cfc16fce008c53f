"""Read a task's record (untrusted text from Redis) back into Django's `TaskResult`.

Every field is checked: a record that cannot be read, or that names a task this
process has not registered, is reported as missing; nothing it names is imported.
RUNNING is never stored: an attempt that started (its `worker:<n>` is there) and has
no outcome yet (`done` < n) is running, or was running when its worker died.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobs.tasks import registry
from jobs.tasks.compat import (
    InvalidTask,
    Task,
    TaskError,
    TaskResult,
    TaskResultDoesNotExist,
    TaskResultStatus,
)

STATUSES = {"READY", "SUCCESSFUL", "FAILED"}


def when(value: str | None) -> datetime | None:
    """An aware UTC datetime from epoch seconds as text, or None."""
    try:
        return datetime.fromtimestamp(float(value), UTC) if value else None
    except (ValueError, OverflowError, OSError):
        return None


def parse_json(value: str | None, default: Any) -> Any:
    """JSON text read from Redis, or `default` if absent or unreadable."""
    if value is None:
        return default
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return default


@dataclass(frozen=True)
class Attempts:
    """The numbered per-attempt fields of a record, in attempt order."""

    workers: dict[int, str]
    started: dict[int, str]
    errors: dict[int, str]

    @classmethod
    def of(cls, fields: dict[str, str]) -> Attempts:
        found: dict[str, dict[int, str]] = {"worker": {}, "started": {}, "error": {}}
        for name, value in fields.items():
            kind, _, number = name.partition(":")
            if kind in found and number.isdigit():
                found[kind][int(number)] = value
        return cls(found["worker"], found["started"], found["error"])

    def last(self) -> int:
        """The highest attempt number that started (0 when none)."""
        return max(self.workers, default=0)

    def worker_ids(self) -> list[str]:
        return [self.workers[n] for n in sorted(self.workers)]

    def task_errors(self) -> list[TaskError]:
        errors = []
        for number in sorted(self.errors):
            error = parse_json(self.errors[number], {})
            if isinstance(error, dict):
                errors.append(
                    TaskError(
                        exception_class_path=str(error.get("exception_class_path", "")),
                        traceback=str(error.get("traceback", "")),
                    )
                )
        return errors


def status_of(fields: dict[str, str], attempts: Attempts) -> TaskResultStatus:
    """The stored status, or RUNNING for a READY task whose latest attempt has no outcome."""
    stored = fields.get("status", "READY")
    if stored not in STATUSES:
        stored = "READY"
    done = fields.get("done", "0")
    if stored == "READY" and attempts.last() > (int(done) if done.isdigit() else 0):
        return TaskResultStatus.RUNNING
    return TaskResultStatus(stored)


def task_for(fields: dict[str, str], jid: str) -> Task[..., Any]:
    """The registered task the record names, as it was enqueued (queue, backend)."""
    path = fields.get("task", "")
    task = registry.lookup(path)
    if task is None:
        raise TaskResultDoesNotExist(
            f"task result {jid!r} is of task {path[:200]!r}, which is not registered in "
            "this process (is its module in an installed app's tasks.py?)"
        )
    queue, backend = fields.get("queue"), fields.get("backend")
    try:
        return task.using(queue_name=queue or None, backend=backend or None)
    except (InvalidTask, KeyError, ValueError):
        return task  # the settings changed since: the task as registered


def to_result(jid: str, fields: dict[str, str]) -> TaskResult[..., Any]:
    """The TaskResult a record describes; TaskResultDoesNotExist if it describes none."""
    if "task" not in fields:
        raise TaskResultDoesNotExist(f"no task result {jid!r} (unknown, or expired)")
    task = task_for(fields, jid)
    args, kwargs = parse_json(fields.get("args"), []), parse_json(fields.get("kwargs"), {})
    attempts = Attempts.of(fields)
    started = attempts.started
    status = status_of(fields, attempts)
    result = TaskResult(
        task=task,
        id=jid,
        status=status,
        enqueued_at=when(fields.get("enqueued_at")),
        started_at=when(started[min(started)]) if started else None,
        finished_at=when(fields.get("finished_at")),
        last_attempted_at=when(started[max(started)]) if started else None,
        args=args if isinstance(args, list) else [],
        kwargs=kwargs if isinstance(kwargs, dict) else {},
        backend=fields.get("backend") or task.backend,
        errors=attempts.task_errors(),
        worker_ids=attempts.worker_ids(),
    )
    if status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", parse_json(fields.get("return_value"), None))
    return result
