"""Background jobs for Django, in Sidekiq's wire format.

from jobs import Job

class MoodSenderJob(Job):
    queue = "mailers"

    def perform(self, email: str, mood: str) -> None: ...

MoodSenderJob.perform_async("a@example.com", "happy")
"""

from __future__ import annotations

__version__ = "0.1.0"

from jobs.exceptions import Discard, EnqueueError, JobTimeout, Retry
from jobs.job import Job, JobOptions

__all__ = ["Discard", "EnqueueError", "Job", "JobOptions", "JobTimeout", "Retry", "__version__"]
