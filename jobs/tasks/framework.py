"""Whether Django's task framework (Django 6+) or its backport (django-tasks) is installed."""

from __future__ import annotations


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
