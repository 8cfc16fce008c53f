"""Enqueue N django.tasks from this one process, through whatever TASKS names; print JSON.

usage: DJANGO_SETTINGS_MODULE=... BENCH_REDIS_URL=... \
       python -m bench.djangoapp.enqueue_tasks MODE N
  single   incr.enqueue(i), one call per task, timed around the loop
  latency  N lat.enqueue(now_us) calls, 5 ms apart
django.tasks has no bulk enqueue: a `bulk` MODE is refused.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import django


def clear_database_backend() -> None:
    """django-tasks-db keeps every result in a table: start each run from an empty one."""
    from django.conf import settings

    if "django_tasks_db" in settings.INSTALLED_APPS:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()


def main(mode: str, n: int) -> dict[str, Any]:
    django.setup()
    from bench.djangoapp.tasks import incr, lat
    from bench.peers.common import now_us

    out: dict[str, Any] = {"system": "tasks", "mode": mode, "n": n}
    if mode == "latency":
        for _ in range(n):
            lat.enqueue(now_us())
            time.sleep(0.005)
        return out
    if mode != "single":
        raise SystemExit(f"unknown mode {mode} (django.tasks has no bulk enqueue)")
    clear_database_backend()
    started = time.perf_counter()
    for i in range(n):
        incr.enqueue(i)
    seconds = time.perf_counter() - started
    out.update(seconds=seconds, rate=n / seconds)
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
