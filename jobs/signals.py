"""Django signals sent around a job's life. Each receives `payload` (the job dict).

The sender is the job's class. Receivers per sender are cached (as Django's model
signals do), so a receiver connected for one class (`sender=MailDeliveryJob`) costs the
other classes' runs a dictionary lookup, not a walk over every receiver.
"""

from __future__ import annotations

from django.dispatch import Signal

job_enqueued = Signal(use_caching=True)  # payload
job_started = Signal(use_caching=True)  # payload
job_succeeded = Signal(use_caching=True)  # payload, duration
job_failed = Signal(use_caching=True)  # payload, exception
job_retried = Signal(use_caching=True)  # payload, exception, retry_at
job_dead = Signal(use_caching=True)  # payload, exception
job_discarded = Signal(use_caching=True)  # payload, exception (the job raised jobs.Discard)
