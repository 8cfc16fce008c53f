"""Tasks by module path: what a worker may run when a payload names it.

A task registers itself when it is created (`@task` with a JobsBackend), so the tasks
of every installed app's `tasks.py` (imported by `discovery.discover()` at start-up) and of any
module imported at start-up are known. A payload read from Redis can only pick among
these, by name, and never makes anything be imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.tasks.compat import Task

_tasks: dict[str, Task[..., Any]] = {}


def register(task: Task[..., Any]) -> None:
    """Remember `task` under its module path; copies made by `using()` keep the first."""
    path = task.module_path
    current = _tasks.get(path)
    if current is None or current.func is not task.func:
        _tasks[path] = task


def lookup(path: str) -> Task[..., Any] | None:
    """The task registered as `path`, never importing anything."""
    return _tasks.get(path)


def registered() -> dict[str, Task[..., Any]]:
    """A copy: module path -> task."""
    return dict(_tasks)
