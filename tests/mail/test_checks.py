"""System checks for mail (jobs/mail/checks.py)."""

from __future__ import annotations

from typing import Any

import django
import pytest
from django.core.management import call_command

from jobs.mail.checks import check_mail_settings


def ids(settings: Any) -> list[str]:
    return [message.id for message in check_mail_settings()]


def test_nothing_to_say_when_workers_read_the_mail_queue(settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "QUEUES": [("default", 2), ("mailers", 1)]}

    assert ids(settings) == []


def test_warns_when_no_configured_queue_is_the_mail_queue(settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "QUEUES": ["critical", "default"]}

    [warning] = check_mail_settings()

    assert warning.id == "jobs.W020"
    assert "'mailers'" in warning.msg
    assert "critical, default" in warning.msg
    assert "('mailers', 25)" in str(warning.hint)


def test_a_custom_mail_queue_must_be_read_too(settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "QUEUES": ["default", "mailers"], "MAIL_QUEUE": "mail"}
    assert ids(settings) == ["jobs.W020"]

    settings.JOBS = {**settings.JOBS, "QUEUES": ["default", "mail,3"]}
    assert ids(settings) == []


def test_the_queued_backend_cannot_be_the_real_one(settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "EMAIL_BACKEND": "jobs.mail.backends.QueuedEmailBackend"}

    assert ids(settings) == ["jobs.E020"]


def test_manage_py_check_reports_the_warning(settings: Any, capsys: Any) -> None:
    settings.JOBS = {**settings.JOBS, "QUEUES": ["default"]}

    call_command("check")

    assert "jobs.W020" in capsys.readouterr().err


@pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS arrived in Django 6.1")
def test_queued_mailers_must_name_a_mailer_that_sends(settings: Any) -> None:
    queued = "jobs.mail.backends.QueuedEmailBackend"
    settings.MAILERS = {
        "default": {"BACKEND": queued, "OPTIONS": {"mailer": "smtp"}},
        "smtp": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"},
        "no_target": {"BACKEND": queued},
        "to_queue": {"BACKEND": queued, "OPTIONS": {"mailer": "default"}},
        "to_nowhere": {"BACKEND": queued, "OPTIONS": {"mailer": "missing"}},
    }

    errors = [m for m in check_mail_settings() if m.id == "jobs.E021"]

    assert [e.msg.split(" ", 1)[0] for e in errors] == [
        "MAILERS['no_target']",
        "MAILERS['to_queue']",
        "MAILERS['to_nowhere']",
    ]
