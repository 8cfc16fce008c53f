"""Exceptions users raise from jobs, or catch around enqueue."""

from __future__ import annotations


class JobsError(Exception):
    """Base class of every error this app raises."""


class EnqueueError(JobsError):
    """A job could not be pushed to Redis (Redis down, refused, or timed out)."""


class Retry(Exception):
    """Raise inside `perform()` to retry this job early, after `in_` seconds."""

    def __init__(self, in_: float | None = None, reason: str = "") -> None:
        super().__init__(reason or f"retry requested in {in_}s")
        self.in_ = in_


class Discard(Exception):
    """Raise inside `perform()` to drop this job: no retry, not sent to the dead set."""


class JobTimeout(Exception):
    """A job ran longer than its `timeout` and was interrupted."""


class InvalidPayload(JobsError):
    """A payload read from Redis is not a job this worker may run."""


class UnknownJob(InvalidPayload):
    """The payload names a class that is not a registered `Job`."""
