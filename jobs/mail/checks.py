"""System checks for mail (`manage.py check`): the classic "mails never leave" mistakes."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured

from jobs.conf import get_settings
from jobs.mail.delivery import delivery_alias, is_queued_backend


@register(Tags.compatibility)
def check_mail_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when no worker reads the mail queue; refuse a queued backend behind itself."""
    settings = get_settings()
    messages: list[CheckMessage] = []
    names = settings.queue_names()
    if settings.MAIL_QUEUE not in names:
        messages.append(
            CheckWarning(
                f"JOBS['MAIL_QUEUE'] is {settings.MAIL_QUEUE!r}, which is not in JOBS['QUEUES'] "
                f"({', '.join(names) or 'none'}): workers started without -q never read it, "
                "so mail sent with deliver_later() stays queued",
                hint=f"Add ({settings.MAIL_QUEUE!r}, 25) to JOBS['QUEUES'], or set "
                "JOBS['MAIL_QUEUE'] to a queue your workers read.",
                id="jobs.W020",
            )
        )
    if is_queued_backend(settings.EMAIL_BACKEND):
        messages.append(
            Error(
                "JOBS['EMAIL_BACKEND'] is the queued backend: the worker would queue every "
                "mail again instead of sending it",
                hint="Set JOBS['EMAIL_BACKEND'] to the backend that really sends, e.g. "
                "'django.core.mail.backends.smtp.EmailBackend'.",
                id="jobs.E020",
            )
        )
    return messages + _check_mailers()


def _check_mailers() -> list[CheckMessage]:
    """Django 6.1+ MAILERS: each queued mailer must name a mailer that really sends."""
    mailers: dict[str, dict[str, Any]] = getattr(django_settings, "MAILERS", {})
    errors: list[CheckMessage] = []
    for alias in mailers:
        try:
            target = delivery_alias(alias)
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id="jobs.E021"))
            continue
        if target not in mailers or is_queued_backend(mailers[target].get("BACKEND", "")):
            errors.append(
                Error(
                    f"MAILERS[{alias!r}] sends through {target!r}, which is not a mailer "
                    "that really sends",
                    id="jobs.E021",
                )
            )
    return errors
