"""`QueuedEmailBackend`, and the connection a worker really sends through.

    EMAIL_BACKEND = "jobs.mail.backends.QueuedEmailBackend"
    JOBS = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}

1. With the queued backend, every `send_mail()` / `EmailMessage.send()` of the site
   serialises the message and enqueues it (after commit inside a transaction); the
   worker sends it through `JOBS["EMAIL_BACKEND"]`.
2. Django's `fail_silently` holds at enqueue time: a Redis outage is swallowed and
   the message not counted when it is set, raised otherwise. A message JSON cannot
   carry always raises, as a message Django cannot build does in the SMTP backend.
3. The sending connection always has a timeout: when Django's `EMAIL_TIMEOUT` is
   unset, `JOBS["EMAIL_TIMEOUT"]` applies, so a hung server cannot hold a worker
   thread forever.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.module_loading import import_string

from jobs.conf import get_settings
from jobs.exceptions import EnqueueError
from jobs.mail.serialize import MessageData, message_to_dict

logger = logging.getLogger("jobs.mail")


class QueuedEmailBackend(BaseEmailBackend):
    """Send every message through the `mailers` queue instead of at once."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Enqueue each message that has recipients; return how many were enqueued."""
        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            data = message_to_dict(message)
            if transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
                # Pushed on commit; fail_silently must hold there too, not only here.
                transaction.on_commit(partial(self._enqueue, data), using=DEFAULT_DB_ALIAS)
            elif not self._enqueue(data):
                continue
            queued += 1
        return queued

    def _enqueue(self, data: MessageData) -> bool:
        from jobs.mail.jobs import enqueue_message

        try:
            enqueue_message(data, on_commit=False)
        except EnqueueError:
            if not self.fail_silently:
                raise
            logger.warning("could not enqueue an email (fail_silently)", exc_info=True)
            return False
        return True


def is_queued_backend(path: str) -> bool:
    """True if the backend at `path` is (a subclass of) QueuedEmailBackend."""
    try:
        backend = import_string(path)
    except ImportError:
        return False
    return isinstance(backend, type) and issubclass(backend, QueuedEmailBackend)


def delivery_backend() -> str:
    """The backend that really sends: Django's, unless that is the queued one."""
    configured: str = settings.EMAIL_BACKEND
    if is_queued_backend(configured):
        return get_settings().EMAIL_BACKEND
    return configured


def smtp_timeout() -> float:
    """Seconds an SMTP connection waits on the server: EMAIL_TIMEOUT, else JOBS'."""
    django_timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    if django_timeout is not None:
        return float(django_timeout)
    return float(get_settings().EMAIL_TIMEOUT)


def delivery_connection() -> Any:
    """A connection to the real backend, with a timeout if it talks to a server."""
    connection: Any = get_connection(delivery_backend(), fail_silently=False)
    if getattr(connection, "timeout", 0) is None:
        connection.timeout = smtp_timeout()
    return connection


def send_now(message: EmailMessage) -> int:
    """Send `message` through the real backend; return how many were sent (0 or 1)."""
    sent = delivery_connection().send_messages([message])
    return int(sent or 0)
