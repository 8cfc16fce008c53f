"""`QueuedEmailBackend`: every `send_mail()` of the site leaves from the worker.

    EMAIL_BACKEND = "jobs.mail.backends.QueuedEmailBackend"
    JOBS = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}

1. Every `send_mail()` / `EmailMessage.send()` of the site serialises the message and
   enqueues it (after commit inside a transaction); the worker sends it through
   `JOBS["EMAIL_BACKEND"]` (jobs.mail.delivery).
2. Django's `fail_silently` holds at enqueue time, also when the push waits for a
   commit: with it, a Redis outage is logged and the message not counted; without
   it, EnqueueError is raised. A message JSON cannot carry always raises TypeError,
   as a message Django cannot build does in the SMTP backend.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.core.mail import EmailMessage
from django.db import DEFAULT_DB_ALIAS, transaction

from jobs.client import in_transaction
from jobs.exceptions import EnqueueError
from jobs.mail.delivery import QueueingBackend
from jobs.mail.jobs import enqueue_message
from jobs.mail.serialize import MessageData, message_to_dict

logger = logging.getLogger("jobs.mail")


class QueuedEmailBackend(QueueingBackend):
    """Send every message through the `mailers` queue instead of at once.

    With Django 6.1's MAILERS, OPTIONS={"mailer": "<alias>"} names the mailer that
    really sends; without MAILERS, that is JOBS["EMAIL_BACKEND"].
    """

    def __init__(
        self, fail_silently: bool = False, *, mailer: str | None = None, **kwargs: Any
    ) -> None:
        # fail_silently is kept here, not passed up: Django 6.1 deprecates it there.
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        self.mailer = mailer

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Enqueue each message that has recipients; return how many were enqueued."""
        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            data = message_to_dict(message)
            if in_transaction():
                # Pushed on commit; fail_silently must hold there too, not only here.
                transaction.on_commit(partial(self._enqueue, data), using=DEFAULT_DB_ALIAS)
            elif not self._enqueue(data):
                continue
            queued += 1
        return queued

    def _enqueue(self, data: MessageData) -> bool:
        try:
            enqueue_message(data, self.mailer, on_commit=False)
        except EnqueueError:
            if not self.fail_silently:
                raise
            logger.warning("could not enqueue an email (fail_silently)", exc_info=True)
            return False
        return True
