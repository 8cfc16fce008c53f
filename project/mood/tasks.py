"""The demo's django.tasks task: `manage.py mood_advice happy` asks a worker for advice.

Written against Django's own task API; `jobs.tasks.JobsBackend` (settings.TASKS) runs it
with `manage.py runworker`, like the jobs, and keeps its result in Redis for a day.
"""

from typing import TYPE_CHECKING

from project.mood.mailers import MESSAGES

if TYPE_CHECKING:
    from django.tasks import task
else:
    try:  # Django 6+
        from django.tasks import task
    except ImportError:  # Django 5.2 with the django-tasks backport
        from django_tasks import task


@task
def mood_advice(mood: str) -> str:
    """Today's advice for `mood` (the line the mood email carries)."""
    if mood not in MESSAGES:
        raise ValueError(f"no advice for mood {mood!r}; pick one of {', '.join(MESSAGES)}")
    return MESSAGES[mood]
