"""Sort SMTP failures the way a mail team does: retry what may pass later, bury the rest.

1. A 5xx reply (unknown recipient, sender refused, message rejected) is permanent:
   retrying cannot help, so the job goes straight to the dead set as `MailRejected`,
   with the server's reply as its error message.
2. A 4xx reply (greylisting, mailbox busy, too many connections) is `MailDeferred`,
   retried with the usual backoff.
3. Everything else (connection refused or dropped, timeouts) is retried as it is.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

from jobs.exceptions import JobsError

# What the job's retry_in() answers: "kill" = dead set now, None = the usual backoff.
KILL = "kill"

# The SMTP stage each reply exception belongs to, for the error message.
_STAGES: tuple[tuple[type[smtplib.SMTPResponseException], str], ...] = (
    (smtplib.SMTPConnectError, "connect"),
    (smtplib.SMTPHeloError, "HELO"),
    (smtplib.SMTPAuthenticationError, "AUTH"),
    (smtplib.SMTPSenderRefused, "MAIL FROM"),
    (smtplib.SMTPDataError, "DATA"),
)


class MailRejected(JobsError):
    """The mail server refused the message for good (a 5xx reply); it is not retried."""


class MailDeferred(JobsError):
    """The mail server refused the message for now (a 4xx reply); it is retried."""


class InvalidMessage(JobsError):
    """A queued message cannot be rebuilt (unknown mailer or method, malformed data)."""


def is_permanent(code: int) -> bool:
    """True for an SMTP reply code that retrying cannot change (5xx)."""
    return 500 <= code <= 599


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())


def classify(exc: BaseException) -> BaseException:
    """The exception to record for `exc`: MailRejected/MailDeferred for SMTP replies, else exc."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [
            (address, code, _text(reply)) for address, (code, reply) in exc.recipients.items()
        ]
        message = "; ".join(f"{code} {text} (RCPT TO {addr})" for addr, code, text in replies)
        if replies and all(is_permanent(code) for _, code, _ in replies):
            return MailRejected(message)
        return MailDeferred(message)
    if isinstance(exc, smtplib.SMTPResponseException):
        stage = next((label for kind, label in _STAGES if isinstance(exc, kind)), "")
        if isinstance(exc, smtplib.SMTPSenderRefused):
            stage += f" {_text(exc.sender)}"
        message = f"{exc.smtp_code} {_text(exc.smtp_error)}" + (f" ({stage})" if stage else "")
        return MailRejected(message) if is_permanent(exc.smtp_code) else MailDeferred(message)
    return exc


@contextmanager
def smtp_errors_classified() -> Iterator[None]:
    """Re-raise SMTP replies as MailRejected or MailDeferred, chained to the original."""
    try:
        yield
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
        raise classify(exc) from exc


def retry_decision(exc: BaseException) -> str | None:
    """A mail job's retry_in(): "kill" for permanent failures, None (backoff) otherwise."""
    return KILL if isinstance(exc, (MailRejected, InvalidMessage)) else None
