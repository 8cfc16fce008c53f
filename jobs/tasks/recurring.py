"""Tasks in JOBS["SCHEDULE"]: `{"every": "1h", "task": "myapp.tasks.report", "args": [...]}`.

The path must name a registered task of a JobsBackend (nothing is imported from the
setting). Each tick pushes the task's payload as `.enqueue()` would build it; its
result record is written by the worker when it runs (recurring pushes are Lua).
"""

from __future__ import annotations

import inspect
from typing import Any

from jobs.arguments import check_args
from jobs.payload import Payload


def find(path: object) -> Any:
    """The registered task at `path`, or None (also when django.tasks is not installed)."""
    from jobs.tasks.framework import available

    if not isinstance(path, str) or not available():
        return None
    from jobs.tasks.registry import lookup

    return lookup(path)


def problems(task: Any, args: object, kwargs: object) -> list[str]:
    """What is wrong with running `task` with these arguments from the schedule."""
    from jobs.tasks.backend import JobsBackend

    found: list[str] = []
    if not isinstance(task.get_backend(), JobsBackend):
        found.append(f"task {task.module_path} does not use a jobs.tasks.JobsBackend")
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        return [*found, "kwargs must be a dict with string keys"]
    if not isinstance(args, list):
        return found  # reported with the entry's other argument problems
    try:
        check_args([*args, *kwargs.values()], task.module_path)
        parameters = list(inspect.signature(task.func).parameters.values())
        signature = inspect.Signature(parameters[1:] if task.takes_context else parameters)
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        found.append(f"args do not fit: {exc}")
    return found


def queue_of(task: Any, queue: str | None) -> str:
    return queue or str(task.queue_name)


def payload(task: Any, args: list[Any], kwargs: dict[str, Any], queue: str | None) -> Payload:
    """The payload one tick pushes."""
    chosen = task.using(queue_name=queue) if queue else task
    built: Payload = chosen.get_backend().build_payload(chosen, list(args), dict(kwargs))
    return built
