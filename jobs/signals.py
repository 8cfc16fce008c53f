"""Django signals sent around a job's life. Each receives `payload` (the job dict).

The sender is the job's class. The worker sends a signal only while it has receivers:
connect yours for the classes you care about (`sender=MailDeliveryJob`) and keep
receivers few; each one costs every job a check.
"""

from __future__ import annotations

from django.dispatch import Signal

job_enqueued = Signal()  # payload
job_started = Signal()  # payload
job_succeeded = Signal()  # payload, duration
job_failed = Signal()  # payload, exception
job_retried = Signal()  # payload, exception, retry_at
job_dead = Signal()  # payload, exception
job_discarded = Signal()  # payload, exception (the job raised jobs.Discard)
