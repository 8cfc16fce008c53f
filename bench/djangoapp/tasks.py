"""The django.tasks benchmark tasks: the job bodies of peers/common.py behind `@task`.

Every django.tasks row runs these same two functions: ours through `jobs.tasks.JobsBackend`
(bench/settings_tasks.py) and each peer backend through its own worker
(bench/taskpeers/settings.py), so only the backend and its worker differ.
"""

from __future__ import annotations

from bench.peers.common import mark_done, mark_lat

try:
    from django.tasks import task  # Django 6.0+
except ImportError:  # Django 5.2 LTS: the django-tasks backport
    from django_tasks import task  # type: ignore[no-redef]


@task
def incr(i: int) -> None:
    """The throughput task: one int argument, body = INCR bench:done."""
    mark_done()


@task
def lat(ts_us: int) -> None:
    """The latency task: the argument is the enqueue time in integer microseconds."""
    mark_lat(ts_us)
