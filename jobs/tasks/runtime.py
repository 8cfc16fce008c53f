"""Per-process facts a task run needs, looked up once: who we are, backends, async-ness."""

from __future__ import annotations

import inspect
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from jobs.tasks.compat import BaseTaskBackend, Task, task_backends
from jobs.tasks.options import TaskOptions

_worker: list[str] = []  # this process's id, made on first use; a forked child makes its own


def worker_id() -> str:
    """This process's id in `worker_ids`: host and pid (the start of its identity)."""
    if not _worker:
        _worker.append(f"{socket.gethostname()}:{os.getpid()}")
    return _worker[0]


os.register_at_fork(after_in_child=_worker.clear)


def moment(seconds: object) -> datetime | None:
    """An aware UTC datetime for epoch seconds, or None."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return None
    return datetime.fromtimestamp(seconds, UTC)


_backends: dict[str, BaseTaskBackend] = {}
_async: dict[Callable[..., Any], bool] = {}


def is_async(func: Callable[..., Any]) -> bool:
    """inspect.iscoroutinefunction(), remembered per function."""
    found = _async.get(func)
    if found is None:
        found = _async[func] = inspect.iscoroutinefunction(func)
    return found


def backend_of(task: Task[..., Any], alias: object = None) -> BaseTaskBackend:
    """The backend `alias` names (a payload's, so only one of TASKS), else the task's own.

    Cached: Django's lookup costs a third of a no-op task.
    """
    name = alias if isinstance(alias, str) else task.backend
    backend = _backends.get(name)
    if backend is None:
        if name not in (getattr(settings, "TASKS", None) or {}):
            name = task.backend
        backend = _backends[name] = task_backends[name]
    return backend


_DEFAULT_OPTIONS = TaskOptions()


def options_of(backend: BaseTaskBackend) -> TaskOptions:
    """The OPTIONS of one of our backends (their defaults for any other backend)."""
    options = getattr(backend, "settings", None)
    return options if isinstance(options, TaskOptions) else _DEFAULT_OPTIONS


@receiver(setting_changed)
def _forget_backends(*, setting: str, **kwargs: Any) -> None:
    if setting == "TASKS":
        _backends.clear()
