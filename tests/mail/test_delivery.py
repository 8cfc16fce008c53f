"""The backend that really sends, and its timeout (jobs/mail/delivery.py)."""

from __future__ import annotations

from typing import Any

import pytest

from jobs.mail.backends import QueuedEmailBackend
from jobs.mail.delivery import delivery_backend, delivery_connection, is_queued_backend

QUEUED = "jobs.mail.backends.QueuedEmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


class CustomQueuedBackend(QueuedEmailBackend):
    """A site's own subclass of the queued backend."""


@pytest.mark.parametrize(
    ("path", "queued"),
    [
        (QUEUED, True),
        (f"{__name__}.CustomQueuedBackend", True),
        (LOCMEM, False),
        ("no.such.Backend", False),
        (f"{__name__}.QUEUED", False),
    ],
)
def test_a_queued_backend_is_told_apart_by_its_class(path: str, queued: bool) -> None:
    assert is_queued_backend(path) is queued


@pytest.mark.usefixtures("legacy_email_settings")
def test_the_real_backend_is_jobs_email_backend_when_the_site_queues(settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "EMAIL_BACKEND": SMTP}
    settings.EMAIL_BACKEND = LOCMEM
    assert delivery_backend() == LOCMEM

    settings.EMAIL_BACKEND = QUEUED
    assert delivery_backend() == SMTP


@pytest.mark.parametrize(("django_timeout", "expected"), [(None, 4.5), (7, 7.0)])
@pytest.mark.usefixtures("legacy_email_settings")
def test_smtp_connections_always_have_a_timeout(
    settings: Any, django_timeout: float | None, expected: float
) -> None:
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_TIMEOUT = django_timeout
    settings.JOBS = {**settings.JOBS, "EMAIL_TIMEOUT": 4.5}

    assert delivery_connection().timeout == expected


@pytest.mark.usefixtures("legacy_email_settings")
def test_backends_without_a_timeout_are_left_alone(settings: Any) -> None:
    settings.EMAIL_BACKEND = LOCMEM

    assert not hasattr(delivery_connection(), "timeout")
