"""`jobs` as a backend of Django's task framework (`django.tasks`, or the backport).

    TASKS = {"default": {"BACKEND": "jobs.tasks.JobsBackend"}}

- `backend`: JobsBackend and its task class; `options`: its OPTIONS; `checks`: the
  system check for a missing task framework.
- `store`: the result record in Redis and its writes; `results`: reading it back.
- `wrapper`: the job that runs a task in the worker; `attempt`: one run of a task;
  `errors`: failures no retry mends; `runtime`: per-process lookups; `journal`: the
  batched "attempt started" writes; `signals`: django.tasks' signals from the worker.
- `registry`: tasks by path, and discovery of `tasks.py` at start-up.
- `compat`: Django 6's `django.tasks` or the `django_tasks` backport.
- `display`: what the dashboard shows of a task; `recurring`: tasks in JOBS["SCHEDULE"].
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.tasks.backend import JobsBackend, JobsTask
    from jobs.tasks.store import WRAPPER

__all__ = ["WRAPPER", "JobsBackend", "JobsTask"]


def __getattr__(name: str) -> Any:
    # Lazy, so `jobs` (and its start-up discovery) loads without django.tasks installed;
    # `TASKS = {... "BACKEND": "jobs.tasks.JobsBackend"}` imports it when used.
    if name in __all__:
        from jobs.tasks import backend

        return getattr(backend, name)
    raise AttributeError(f"module 'jobs.tasks' has no attribute {name!r}")
