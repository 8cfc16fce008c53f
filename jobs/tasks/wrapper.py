"""The job that runs django.tasks tasks in the worker: the `class` of every task payload.

Sidekiq's Web UI and the dashboard show the payload's `display_class` (the task's
path) instead of this wrapper's name.
"""

from __future__ import annotations

from typing import Any

from jobs.job import Job, RetryDecision
from jobs.tasks.attempt import Attempt, record_unrunnable
from jobs.tasks.errors import FinalFailure
from jobs.tasks.store import WRAPPER


class TaskJob(Job):
    """Run the registered task named by the payload's `display_class`."""

    name = WRAPPER

    def perform(self, args: Any, kwargs: Any) -> None:
        try:
            attempt = Attempt.begin(self)
        except FinalFailure as exc:
            record_unrunnable(self, exc)
            raise
        attempt.run()

    def retry_in(self, count: int, exc: BaseException) -> RetryDecision:
        """Straight to dead for what no retry can mend; Sidekiq's backoff for the rest."""
        return "kill" if isinstance(exc, FinalFailure) else None
