"""Django settings for the peer django.tasks backends, one at a time: BENCH_TASKS_PEER.

Run in bench/.work/venv-tasks (never the project's .venv) with PYTHONPATH = the repository,
so every peer runs the very tasks of bench/djangoapp/tasks.py:

  db          django-tasks-db on PostgreSQL (BENCH_PG_*), worker `db_worker`
  rq          django-tasks-rq, worker `rqworker --job-class django_tasks_rq.Job`
  huey        Huey's backend (huey.contrib.djhuey), worker `run_huey`
  threadmill  threadmill's Redis backend, worker `threadmill worker` (its own venv)
"""

import os
from importlib.util import find_spec
from typing import Any

PEER = os.environ.get("BENCH_TASKS_PEER", "db")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

SECRET_KEY = "bench-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS: list[str] = ["django.contrib.contenttypes", "bench.djangoapp"]
# Django 5.2 LTS has django.tasks only through the backport, which is an app there.
if find_spec("django.tasks") is None:
    INSTALLED_APPS.append("django_tasks")
# Only django-tasks-db uses a database; the others get a throwaway SQLite one.
DATABASES: dict[str, Any] = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
TASKS: dict[str, Any]

if PEER == "db":
    INSTALLED_APPS.append("django_tasks_db")
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BENCH_PG_PORT", "5432"),
        "NAME": os.environ.get("BENCH_PG_NAME", "bench_tasks"),
        "USER": os.environ.get("BENCH_PG_USER", "postgres"),
        "PASSWORD": os.environ.get("BENCH_PG_PASSWORD", ""),
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif PEER == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif PEER == "huey":
    INSTALLED_APPS.append("huey.contrib.djhuey")
    # Huey's defaults (one worker thread), as in the huey row; never "immediate".
    HUEY = {"huey_class": "huey.RedisHuey", "name": "bench", "url": REDIS_URL, "immediate": False}
    TASKS = {"default": {"BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend"}}
elif PEER == "threadmill":
    INSTALLED_APPS.append("threadmill")
    TASKS = {
        "default": {"BACKEND": "threadmill.backends.redis.RedisTaskBackend", "REDIS_URL": REDIS_URL}
    }
else:
    raise RuntimeError(f"BENCH_TASKS_PEER={PEER!r}: expected db, rq, huey or threadmill")
