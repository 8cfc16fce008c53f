"""Django settings for our django.tasks row: bench.settings, with TASKS on our backend.

`manage.py runworker` runs the tasks of bench/djangoapp/tasks.py from the one benchmark
queue, `default`, as it runs the Job rows' jobs.
"""

from importlib.util import find_spec

from bench.settings import *  # noqa: F403
from bench.settings import INSTALLED_APPS

# Django 5.2 LTS has django.tasks only through the backport, which is an app there.
if find_spec("django.tasks") is None and "django_tasks" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks"]
TASKS = {"default": {"BACKEND": "jobs.tasks.JobsBackend"}}
