"""Values under secret-looking keys never reach a screen."""

from __future__ import annotations

import json
import sys

from jobs import Job
from jobs.api.records import JobRecord
from jobs.api.redact import (
    MAIL_JOB,
    REDACTED,
    TASK_JOB,
    TOO_DEEP,
    is_secret,
    redact,
    redact_args,
    redact_payload,
)
from jobs.mail import Mailer
from jobs.mail.registry import mailer_name
from jobs.registry import job_name

try:  # Django 6+
    from django.tasks import task
except ImportError:  # Django 5.2 and the backport
    from django_tasks import task  # type: ignore[no-redef]


def test_secret_looking_keys() -> None:
    for key in ["password", "Password", "db_passwd", "token", "accessToken", "client_secret", "api_key",
                "apiKey", "private_key", "Authorization", "auth", "session_id", "credentials"]:  # fmt: skip
        assert is_secret(key), key
    for key in ["user", "email", "count", "author", "mood"]:
        assert not is_secret(key), key


def test_redact_copies_nested_structures() -> None:
    value = [{"token": "t", "items": [{"secret": 1}, {"name": "ok"}]}, "plain"]
    assert redact(value) == [
        {"token": REDACTED, "items": [{"secret": REDACTED}, {"name": "ok"}]},
        "plain",
    ]
    assert value[0]["token"] == "t"


def test_deep_nesting_is_cut_not_a_recursion_error() -> None:
    value: object = "x"
    for _ in range(900):
        value = [value]
    text = repr(redact(value))
    assert TOO_DEEP in text


class SignInJob(Job):
    """A registered job whose second parameter is a secret."""

    def perform(self, email: str, api_token: str, options: dict[str, str] | None = None) -> None:
        pass


class ResetMailer(Mailer):
    def reset(self, user: str, reset_token: str) -> None:
        return None


def test_positional_arguments_named_like_secrets_are_redacted() -> None:
    name = job_name(SignInJob)
    args = ["ann@example.com", "tok-123", {"password": "pw", "plan": "pro"}]
    assert redact_args(name, args) == [
        "ann@example.com",
        REDACTED,
        {"password": REDACTED, "plan": "pro"},
    ]
    assert args[1] == "tok-123"  # a copy
    extra = redact_args(name, ["a", "b", "c", "d"])  # more args than parameters: shown
    assert extra == ["a", REDACTED, "c", "d"]


def test_unknown_classes_keep_the_key_rule_and_are_never_imported() -> None:
    args = ["tok-123", {"token": "t"}]
    assert redact_args("tests.testapp.never_imported.Whatever", args) == [
        "tok-123",
        {"token": REDACTED},
    ]
    assert "tests.testapp.never_imported" not in sys.modules


def test_mail_jobs_use_the_mailer_methods_parameter_names() -> None:
    args = [mailer_name(ResetMailer), "reset", ["ann", "r-1"], "de", {"secret": "s"}]
    shown = redact_args(MAIL_JOB, args)
    assert shown == [
        mailer_name(ResetMailer),
        "reset",
        ["ann", REDACTED],
        "de",
        {"secret": REDACTED},
    ]
    unknown = [mailer_name(ResetMailer), "nosuchmethod", ["ann", "r-1"], "de"]
    assert redact_args(MAIL_JOB, unknown) == unknown


def test_the_whole_payload_and_the_record_hide_them_too() -> None:
    payload = {"class": job_name(SignInJob), "args": ["ann", "tok-123"], "jid": "abc", "queue": "q"}
    assert redact_payload(payload)["args"] == ["ann", REDACTED]
    record = JobRecord(json.dumps(payload))
    assert "tok-123" not in record.args_preview + record.args_pretty + record.payload_pretty
    assert "tok-123" not in record.search_text


def test_the_mail_job_name_is_the_registered_one() -> None:
    from jobs.mail.jobs import MailDeliveryJob

    assert job_name(MailDeliveryJob) == MAIL_JOB


@task
def sign_in(email: str, password: str, *, remember: bool = False) -> None:
    """A task whose second parameter is a secret."""


def test_task_arguments_use_the_tasks_parameter_names() -> None:
    path = sign_in.module_path
    args = [["ann@example.com", "hunter2"], {"remember": True, "token": "t"}]
    assert redact_args(TASK_JOB, args, path) == [
        ["ann@example.com", REDACTED],
        {"remember": True, "token": REDACTED},
    ]
    assert redact_args(TASK_JOB, args, "tests.not.a.registered.task") == [
        ["ann@example.com", "hunter2"],
        {"remember": True, "token": REDACTED},
    ]
    record = JobRecord(json.dumps({"class": TASK_JOB, "display_class": path, "args": args,
                                   "jid": "abc", "queue": "default"}))  # fmt: skip
    assert "hunter2" not in record.args_pretty + record.payload_pretty
