"""Failures of a task that no retry can mend, and how an error is written down."""

from __future__ import annotations

import traceback
from typing import Any

from jobs.tasks import registry
from jobs.tasks.compat import Task


class FinalFailure(Exception):
    """A failure no retry can mend: the task goes to dead (FAILED) at once."""


class UnknownTask(FinalFailure):
    """The payload names a task this worker has not registered."""


class BadTaskPayload(FinalFailure):
    """The payload's arguments are not [args list, kwargs dict]."""


class TaskReturnError(FinalFailure):
    """The task returned something that is not JSON, or too big to keep."""


def class_path(exc: BaseException) -> str:
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__}"


def cut_traceback(exc: BaseException, limit: int) -> str:
    """The formatted traceback, its start dropped (with a note) beyond `limit` characters."""
    text = "".join(traceback.format_exception(exc))
    if len(text) <= limit:
        return text
    dropped = len(text) - limit
    return (
        f"[traceback cut: its first {dropped} characters dropped, over the cap of "
        f"OPTIONS['MAX_TRACEBACK_CHARS'] = {limit}]\n" + text[dropped:]
    )


def find_task(payload: dict[str, Any]) -> tuple[Task[..., Any], list[Any], dict[str, Any]]:
    """The registered task a payload names, and its arguments; FinalFailure if unusable."""
    path = payload.get("display_class")
    task = registry.lookup(path) if isinstance(path, str) else None
    if task is None:
        shown = path[:200] if isinstance(path, str) else path
        raise UnknownTask(f"unknown task {shown!r}: no registered task has that path")
    args, kwargs = payload["args"]
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise BadTaskPayload("task arguments must be [args list, kwargs dict]")
    return task, args, kwargs
