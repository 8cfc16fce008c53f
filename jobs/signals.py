"""Django signals sent around a job's life. Each receives `payload` (the job dict)."""

from __future__ import annotations

from django.dispatch import Signal

job_enqueued = Signal()  # payload
job_started = Signal()  # payload
job_succeeded = Signal()  # payload, duration
job_failed = Signal()  # payload, exception
job_retried = Signal()  # payload, exception, retry_at
job_dead = Signal()  # payload, exception
job_discarded = Signal()  # payload, exception (the job raised jobs.Discard)
