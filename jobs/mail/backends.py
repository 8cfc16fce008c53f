"""`QueuedEmailBackend`, and the connection a worker really sends through.

    EMAIL_BACKEND = "jobs.mail.backends.QueuedEmailBackend"
    JOBS = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}

1. With the queued backend, every `send_mail()` / `EmailMessage.send()` of the site
   serialises the message and enqueues it (after commit inside a transaction); the
   worker sends it through `JOBS["EMAIL_BACKEND"]`.
2. Django's `fail_silently` holds at enqueue time, also when the push waits for a
   commit: with it, a Redis outage is logged and the message not counted; without
   it, EnqueueError is raised. A message JSON cannot carry always raises TypeError,
   as a message Django cannot build does in the SMTP backend.
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
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.module_loading import import_string

from jobs.client import in_transaction
from jobs.conf import get_settings
from jobs.exceptions import EnqueueError
from jobs.mail.serialize import MessageData, message_to_dict

logger = logging.getLogger("jobs.mail")


class QueuedEmailBackend(BaseEmailBackend):
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
        from jobs.mail.jobs import enqueue_message

        try:
            enqueue_message(data, self.mailer, on_commit=False)
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


def mailers_configured() -> bool:
    """True when the settings use Django 6.1's MAILERS instead of EMAIL_BACKEND."""
    return hasattr(settings, "MAILERS")


def delivery_backend() -> str:
    """The backend that really sends: Django's EMAIL_BACKEND, unless that is the queued one."""
    configured: str = settings.EMAIL_BACKEND
    if is_queued_backend(configured):
        return get_settings().EMAIL_BACKEND
    return configured


def delivery_alias(alias: str | None = None) -> str:
    """With MAILERS: the alias that really sends for `alias` (default "default")."""
    alias = alias or "default"
    mailers: dict[str, dict[str, Any]] = getattr(settings, "MAILERS", {})
    config = mailers.get(alias, {})
    if not is_queued_backend(config.get("BACKEND", "")):
        return alias
    target = config.get("OPTIONS", {}).get("mailer")
    if not isinstance(target, str) or target == alias:
        raise ImproperlyConfigured(
            f"MAILERS[{alias!r}] is the queued backend: name the mailer that really sends "
            "in its OPTIONS, e.g. {'mailer': 'smtp'}"
        )
    return target


def smtp_timeout() -> float:
    """Seconds an SMTP connection waits on the server: EMAIL_TIMEOUT, else JOBS'."""
    django_timeout = None if mailers_configured() else getattr(settings, "EMAIL_TIMEOUT", None)
    if django_timeout is not None:
        return float(django_timeout)
    return float(get_settings().EMAIL_TIMEOUT)


def delivery_connection(mailer: str | None = None) -> Any:
    """A connection to the real backend, with a timeout if it talks to a server."""
    connection: Any
    if mailers_configured():
        from django.core import mail

        connection = mail.mailers[delivery_alias(mailer)]  # type: ignore[attr-defined,unused-ignore]
    else:
        connection = import_string(delivery_backend())()
    if getattr(connection, "timeout", 0) is None:
        connection.timeout = smtp_timeout()
    return connection


def send_now(message: EmailMessage, mailer: str | None = None) -> int:
    """Send `message` through the real backend; return how many were sent (0 or 1)."""
    sent = delivery_connection(mailer).send_messages([message])
    return int(sent or 0)
