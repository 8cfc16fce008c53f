"""System check: TASKS names our backend, but Django's task framework is not installed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from jobs.tasks.framework import available


@register(Tags.compatibility)
def check_task_framework(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """On Django 5.2 without the backport, a JobsBackend in TASKS would never be used."""
    if available():
        return []
    tasks = getattr(settings, "TASKS", None) or {}
    named = [
        alias
        for alias, params in tasks.items()
        if isinstance(params, dict) and str(params.get("BACKEND", "")).startswith("jobs.tasks.")
    ]
    return [
        Error(
            f"TASKS[{alias!r}] uses jobs.tasks.JobsBackend, but neither django.tasks "
            "(Django 6+) nor the django-tasks backport is installed",
            hint="On Django 5.2: pip install django-tasks, and add 'django_tasks' to "
            "INSTALLED_APPS.",
            id="jobs.E041",
        )
        for alias in named
    ]
