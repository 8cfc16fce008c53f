"""System checks for mail (`manage.py check`): the classic "mails never leave" mistakes."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

from jobs.conf import get_settings
from jobs.mail.backends import is_queued_backend


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
    return messages
