"""Test helpers for mail, on top of `jobs.testing.fake()`.

    with testing.fake():
        signup(request)
        assert_mail_enqueued(UserMailer.welcome, 42)
        deliver_enqueued_mails()            # render and send them now: mail.outbox

In `jobs.testing.inline()` mode nothing is kept: mail is sent at once through Django's
backend, which the test runner makes the locmem one, so it lands in `mail.outbox`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import EmailMessage

from jobs import testing
from jobs.mail.jobs import EmailMessageJob, MailDeliveryJob, in_language
from jobs.mail.registry import lookup_mailer, mailer_name
from jobs.mail.serialize import message_from_dict
from jobs.payload import Payload
from jobs.registry import job_name


@dataclass(frozen=True)
class EnqueuedMail:
    """One mail job kept by fake(): a mailer method call, or a serialised message."""

    jid: str
    queue: str
    at: float | None  # epoch seconds for deliver_later(wait=...), else None
    mailer: str | None = None
    method: str | None = None
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    data: dict[str, Any] | None = None  # the serialised message of deliver_later(message)

    def __str__(self) -> str:
        if self.mailer is None:
            subject = (self.data or {}).get("subject")
            return f"message {subject!r} to {(self.data or {}).get('to')}"
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.mailer}.{self.method}({', '.join(parts)})"

    def message(self) -> EmailMessage | None:
        """Build the message here, as the worker would (None if the method sends nothing)."""
        if self.data is not None:
            return message_from_dict(self.data)
        cls = lookup_mailer(self.mailer or "")
        if cls is None or self.method is None:
            raise LookupError(f"unknown mailer {self.mailer!r}")
        with in_language(self.language):
            built: EmailMessage | None = getattr(cls(), self.method)(*self.args, **self.kwargs)
            return built


def _from_payload(payload: Payload) -> EnqueuedMail:
    args = payload["args"]
    common = {"jid": payload["jid"], "queue": payload["queue"], "at": payload.get("at")}
    if payload["class"] == job_name(EmailMessageJob):
        return EnqueuedMail(**common, data=args[0])
    mailer, method, method_args, language, *rest = args
    kwargs = rest[0] if rest else {}
    return EnqueuedMail(
        **common, mailer=mailer, method=method, args=method_args, kwargs=kwargs, language=language
    )


def enqueued_mails() -> list[EnqueuedMail]:
    """The mail jobs kept by `jobs.testing.fake()`, mailer deliveries first."""
    names = (job_name(MailDeliveryJob), job_name(EmailMessageJob))
    payloads = sorted(
        (p for p in testing.all_jobs() if p["class"] in names),
        key=lambda p: names.index(p["class"]),
    )
    return [_from_payload(payload) for payload in payloads]


def assert_mail_enqueued(method: Any, *args: Any, **kwargs: Any) -> EnqueuedMail:
    """Assert that `Mailer.method(*args, **kwargs).deliver_later()` was called; return it.

    `method` is the mailer method as read on the class, e.g. `UserMailer.welcome`.
    Arguments compare as they travel, through JSON.
    """
    mailer_cls, name = getattr(method, "mailer", None), getattr(method, "name", None)
    if mailer_cls is None or name is None:
        raise TypeError(f"{method!r} is not a mailer method read on its class")
    wanted = (mailer_name(mailer_cls), name, _json(list(args)), _json(kwargs))
    mails = enqueued_mails()
    for mail in mails:
        if (mail.mailer, mail.method, mail.args, mail.kwargs) == wanted:
            return mail
    call = EnqueuedMail("", "", None, wanted[0], name, wanted[2], wanted[3])
    seen = "\n  ".join(str(m) for m in mails) or "none (is jobs.testing.fake() active?)"
    raise AssertionError(f"no mail enqueued for {call}; enqueued mails:\n  {seen}")


def assert_no_mail_enqueued() -> None:
    """Assert that no mail job is kept by fake()."""
    mails = enqueued_mails()
    if mails:
        listed = "\n  ".join(str(m) for m in mails)
        raise AssertionError(f"{len(mails)} mail(s) enqueued:\n  {listed}")


def deliver_enqueued_mails() -> int:
    """Run the kept mail jobs now (through Django's backend); return how many ran."""
    return MailDeliveryJob.drain() + EmailMessageJob.drain()


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))
