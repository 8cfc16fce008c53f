"""The jobs that send mail in the worker, and the calls that enqueue them.

1. `MailDeliveryJob` runs a mailer method: args are the mailer's registered name, the
   method, its arguments, the language active at enqueue, and (only when given) its
   keyword arguments. Only registered Mailer subclasses and their mailer methods run;
   nothing named in a payload is ever imported.
2. `EmailMessageJob` sends a message serialised by `deliver_later(message)`.
3. Both send through the real backend (jobs.mail.delivery) with a timeout, and sort
   failures with jobs.mail.errors: 5xx replies and unreadable messages go straight to
   the dead set, everything else is retried with Sidekiq's backoff.
"""

from __future__ import annotations

import contextlib
import logging
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.core.mail import EmailMessage
from django.utils import translation

from jobs.conf import get_settings
from jobs.job import Job, JobOptions
from jobs.mail.delivery import send_now, smtp_timeout
from jobs.mail.errors import InvalidMessage, retry_decision, smtp_errors_classified
from jobs.mail.registry import lookup_mailer
from jobs.mail.serialize import MessageData, message_from_dict

logger = logging.getLogger("jobs.mail")

# Seconds a mail job may run beyond the SMTP timeout (rendering, several SMTP commands).
TIMEOUT_MARGIN = 30.0


class _MailJob(Job):
    abstract = True
    queue = "mailers"
    # A safety net above the SMTP timeout (JOBS["EMAIL_TIMEOUT"], 30 s by default);
    # enqueue raises it per job when the configured SMTP timeout needs more.
    timeout: ClassVar[float | None] = 60.0

    def retry_in(self, count: int, exc: BaseException) -> str | None:
        return retry_decision(exc)

    def send(self, message: EmailMessage, mailer: str | None = None) -> None:
        with smtp_errors_classified():
            send_now(message, mailer)


class MailDeliveryJob(_MailJob):
    """Build a message with a mailer method, in the language of the request, and send it."""

    def perform(
        self,
        mailer: str,
        method: str,
        args: list[Any],
        language: str | None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        cls = lookup_mailer(mailer)
        if cls is None:
            raise InvalidMessage(f"unknown mailer {mailer!r}: no registered Mailer has that name")
        if method not in cls.mailer_methods:
            raise InvalidMessage(f"{mailer} has no mailer method {method!r}")
        with in_language(language):
            message = getattr(cls(), method)(*args, **(kwargs or {}))
            if message is None:
                logger.info("%s.%s returned no message; nothing sent", mailer, method)
                return
            # Inside the override: lazy strings in the message resolve when it is sent.
            self.send(message)


class EmailMessageJob(_MailJob):
    """Send an EmailMessage serialised by `deliver_later(message)`."""

    def perform(self, message: dict[str, Any], mailer: str | None = None) -> None:
        """`mailer`: the MAILERS alias that sends (Django 6.1+), when the backend named one."""
        self.send(message_from_dict(message), mailer)


def in_language(language: str | None) -> AbstractContextManager[object]:
    """Activate `language` (the one active at enqueue); None leaves the default."""
    return translation.override(language) if language else contextlib.nullcontext()


def _options(cls: type[_MailJob], queue: str | None, on_commit: bool = True) -> JobOptions:
    options: dict[str, Any] = {"queue": queue or get_settings().MAIL_QUEUE}
    needed = smtp_timeout() + TIMEOUT_MARGIN
    if cls.timeout is not None and needed > cls.timeout:
        options["timeout"] = needed
    return cls.set(on_commit=on_commit, **options)


def _enqueue(
    options: JobOptions,
    args: list[Any],
    wait: float | timedelta | None,
    wait_until: datetime | float | None,
) -> str:
    if wait is not None and wait_until is not None:
        raise TypeError("give wait= or wait_until=, not both")
    if wait is not None:
        jid = options.perform_in(wait, *args)
    elif wait_until is not None:
        jid = options.perform_at(wait_until, *args)
    else:
        jid = options.perform_async(*args)
    return jid or ""  # never "": mail jobs are not unique (jobs/unique.py)


def enqueue_delivery(
    args: list[Any],
    *,
    wait: float | timedelta | None = None,
    wait_until: datetime | float | None = None,
    queue: str | None = None,
) -> str:
    """Enqueue a MailDeliveryJob with checked arguments; return its jid."""
    return _enqueue(_options(MailDeliveryJob, queue), args, wait, wait_until)


def enqueue_message(
    data: MessageData,
    mailer: str | None = None,
    *,
    on_commit: bool = True,
    wait: float | timedelta | None = None,
    wait_until: datetime | float | None = None,
    queue: str | None = None,
) -> str:
    """Enqueue an EmailMessageJob for serialised `data`; return its jid."""
    args: list[Any] = [data] if mailer is None else [data, mailer]
    return _enqueue(_options(EmailMessageJob, queue, on_commit), args, wait, wait_until)
