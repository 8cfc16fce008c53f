"""What the dashboard shows of a task's result on its job page (no django.tasks needed).

The record is untrusted text from Redis: every value is checked and cut short; the
template escapes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

from jobs.tasks.store import WRAPPER, read

if TYPE_CHECKING:
    from jobs.api.records import JobRecord

PREVIEW_CHARS = 240
_SAFE = re.compile(r"[A-Za-z0-9_]{1,64}\Z")


@dataclass(frozen=True)
class TaskSummary:
    """A task's result as the job page shows it."""

    task: str
    status: str  # READY, RUNNING, SUCCESSFUL, FAILED, or "" when no record is left
    attempts: int = 0
    return_preview: str = ""
    last_error: str = ""


def _attempt_numbers(fields: dict[str, str], kind: str) -> list[int]:
    numbers = []
    for name in fields:
        prefix, _, number = name.partition(":")
        if prefix == kind and number.isdigit():
            numbers.append(int(number))
    return sorted(numbers)


def _status(fields: dict[str, str], attempts: list[int]) -> str:
    stored = fields.get("status", "")
    if stored not in {"READY", "SUCCESSFUL", "FAILED"}:
        return ""
    done = fields.get("done", "0")
    if stored == "READY" and attempts and attempts[-1] > (int(done) if done.isdigit() else 0):
        return "RUNNING"
    return stored


def _last_error(fields: dict[str, str]) -> str:
    errors = _attempt_numbers(fields, "error")
    if not errors:
        return ""
    try:
        error = json.loads(fields[f"error:{errors[-1]}"])
    except (ValueError, RecursionError):
        return ""
    path = error.get("exception_class_path") if isinstance(error, dict) else None
    return path[:200] if isinstance(path, str) else ""


def task_summary(client: redis.Redis, record: JobRecord) -> TaskSummary | None:
    """The result of the task a job record carries; None when it is not a task."""
    if record.klass != WRAPPER or not _SAFE.match(record.jid):
        return None
    fields = read(client, record.jid)
    workers = _attempt_numbers(fields, "worker")
    value = fields.get("return_value", "") if fields.get("status") == "SUCCESSFUL" else ""
    if len(value) > PREVIEW_CHARS:
        value = value[: PREVIEW_CHARS - 1] + "…"
    return TaskSummary(
        task=record.display_class,
        status=_status(fields, workers),
        attempts=len(workers),
        return_preview=value,
        last_error=_last_error(fields),
    )
