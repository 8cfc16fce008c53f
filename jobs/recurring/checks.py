"""System check: every invalid JOBS["SCHEDULE"] entry, by name, in `manage.py check`."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from jobs.recurring.schedule import load_schedule

HINT = (
    'An entry is {"cron": "0 * * * *" or "every": "30s", "class": "<registered Job>" or '
    '"task": "<app.tasks.function>", optional "args": [...], "kwargs": {...} (tasks), "queue", '
    '"description", "enabled", "tz", "catch_up"}.'
)


@register(Tags.compatibility)
def check_schedule(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Report each problem of each invalid recurring entry, naming the entry."""
    _, errors = load_schedule()
    return [
        Error(f"JOBS['SCHEDULE'][{error.name!r}]: {problem}", hint=HINT, id="jobs.E030")
        for error in errors
        for problem in error.problems
    ]
