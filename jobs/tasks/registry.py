"""Tasks by module path: what a worker may run when a payload names it.

A task registers itself when it is created (`@task` with a JobsBackend), so the tasks
of every installed app's `tasks.py` (imported by `discover()` at start-up) and of any
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


def available() -> bool:
    """True when Django's task framework or its backport can be imported."""
    from importlib.util import find_spec

    for name in ("django.tasks", "django_tasks"):
        try:
            if find_spec(name) is not None:
                return True
        except ImportError:
            continue
    return False


def uses_jobs_backend() -> bool:
    """True when some alias of the TASKS setting names a JobsBackend (or a subclass)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from jobs.tasks.backend import JobsBackend

    for params in (getattr(settings, "TASKS", None) or {}).values():
        path = params.get("BACKEND") if isinstance(params, dict) else None
        if not isinstance(path, str):
            continue
        try:
            backend = import_string(path)  # the settings are trusted, unlike payloads
        except ImportError:
            continue  # reported by Django's own check
        if isinstance(backend, type) and issubclass(backend, JobsBackend):
            return True
    return False


def discover() -> None:
    """At start-up: register the wrapper job, and import every installed app's `tasks.py`.

    Only when TASKS uses a JobsBackend: other projects may keep unrelated `tasks.py`
    modules (Celery's, say) that nothing asked us to import.
    """
    from jobs.tasks import checks  # noqa: F401  (registers the check)

    if not available():
        return
    from django.utils.module_loading import autodiscover_modules

    from jobs.tasks import wrapper  # noqa: F401  (registers the wrapper Job)

    if uses_jobs_backend():
        autodiscover_modules("tasks")
