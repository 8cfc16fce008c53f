"""Send a built EmailMessage through the backend that really sends, with a timeout.

    EMAIL_BACKEND = "jobs.mail.backends.QueuedEmailBackend"
    JOBS = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}

1. The backend that really sends is Django's EMAIL_BACKEND, unless that is the queued
   one: then it is JOBS["EMAIL_BACKEND"]. With Django 6.1's MAILERS, a queued mailer
   names the mailer that really sends in its OPTIONS.
2. The sending connection always has a timeout: when Django's `EMAIL_TIMEOUT` is
   unset, `JOBS["EMAIL_TIMEOUT"]` applies, so a hung server cannot hold a worker
   thread forever.
3. `QueueingBackend` marks a backend that queues instead of sending; this layer tells
   one apart without importing the backend module that builds on it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string

from jobs.conf import get_settings


class QueueingBackend(BaseEmailBackend):
    """A backend that hands messages to the worker: the worker must never send through one."""


def is_queued_backend(path: str) -> bool:
    """True if the backend at `path` is (a subclass of) QueuedEmailBackend."""
    try:
        backend = import_string(path)
    except ImportError:
        return False
    return isinstance(backend, type) and issubclass(backend, QueueingBackend)


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
