"""SMTP failures: which are retried, which go straight to dead (jobs/mail/errors.py).

The unit tests classify smtplib's exceptions; the others run real workers against a
real SMTP server that is stopped, refuses a recipient, or never answers.
"""

from __future__ import annotations

import smtplib
import time

import pytest
import redis

from jobs.backtrace import CAUSE, decode
from jobs.mail.errors import (
    InvalidMessage,
    MailDeferred,
    MailRejected,
    classify,
    retry_decision,
    smtp_errors_classified,
)
from tests.helpers import payloads, wait_for
from tests.mail.mailers import WelcomeMailer
from tests.mail.process import (
    StartWorker,
    jobs_left,
    make_retries_due,
    processed,
)
from tests.mail.smtp import REFUSED_DOMAIN, RefusingPort, SilentServer, SMTPServer


def test_all_recipients_refused_with_5xx_is_permanent() -> None:
    exc = smtplib.SMTPRecipientsRefused(
        {"a@x.example": (550, b"5.1.1 User unknown"), "b@x.example": (553, b"5.1.3 Bad address")}
    )

    error = classify(exc)

    assert isinstance(error, MailRejected)
    assert str(error) == (
        "550 5.1.1 User unknown (RCPT TO a@x.example); 553 5.1.3 Bad address (RCPT TO b@x.example)"
    )
    assert retry_decision(error) == "kill"


def test_a_4xx_refusal_among_them_is_retried() -> None:
    exc = smtplib.SMTPRecipientsRefused(
        {"a@x.example": (550, b"5.1.1 User unknown"), "b@x.example": (450, b"4.2.1 Try later")}
    )

    error = classify(exc)

    assert isinstance(error, MailDeferred)
    assert retry_decision(error) is None


@pytest.mark.parametrize(
    ("exc", "kind", "message"),
    [
        (
            smtplib.SMTPSenderRefused(553, b"5.7.1 Sender rejected", "me@example.com"),
            MailRejected,
            "553 5.7.1 Sender rejected (MAIL FROM me@example.com)",
        ),
        (
            smtplib.SMTPDataError(554, b"5.7.1 Spam\n  detected"),
            MailRejected,
            "554 5.7.1 Spam detected (DATA)",
        ),
        (
            smtplib.SMTPDataError(451, b"4.3.0 Local error"),
            MailDeferred,
            "451 4.3.0 Local error (DATA)",
        ),
        (
            smtplib.SMTPConnectError(421, b"Too many connections"),
            MailDeferred,
            "421 Too many connections (connect)",
        ),
        (
            smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"),
            MailRejected,
            "535 5.7.8 Bad credentials (AUTH)",
        ),
        (smtplib.SMTPResponseException(552, "Too big"), MailRejected, "552 Too big"),
    ],
)
def test_replies_are_sorted_by_their_code(
    exc: smtplib.SMTPException, kind: type[Exception], message: str
) -> None:
    error = classify(exc)

    assert type(error) is kind
    assert str(error) == message


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed: timed out"),
        TimeoutError("timed out"),
        ValueError("a bug"),
    ],
)
def test_other_failures_are_retried_as_they_are(exc: Exception) -> None:
    assert classify(exc) is exc
    assert retry_decision(exc) is None


def test_unreadable_messages_are_killed() -> None:
    assert retry_decision(InvalidMessage("unknown mailer")) == "kill"


def test_classified_errors_are_chained_to_the_original() -> None:
    original = smtplib.SMTPDataError(554, b"no")

    with (
        pytest.raises(MailRejected, match=r"^554 no \(DATA\)$") as caught,
        smtp_errors_classified(),
    ):
        raise original

    assert caught.value.__cause__ is original


@pytest.mark.slow
def test_server_down_means_retry_and_once_back_the_mail_arrives_once(
    smtp_port: int, start_worker: StartWorker, redis_client: redis.Redis
) -> None:
    down = RefusingPort(smtp_port)
    try:
        start_worker()
        WelcomeMailer.welcome("down@example.com", "Down").deliver_later()

        [retry] = wait_for(lambda: payloads(redis_client, "retry"), 20, "the job to be retried")
        assert retry["error_class"] == "ConnectionRefusedError"
        assert "Connection refused" in retry["error_message"]
        assert retry["retry_count"] == 0
        lines = decode(retry["error_backtrace"])  # a traceback by default, mail jobs too
        assert lines[0] == "Traceback (most recent call last):"
        assert any("jobs/mail/" in line for line in lines)
    finally:
        down.close()

    server = SMTPServer(smtp_port)
    server.start()
    try:
        assert make_retries_due(redis_client) == 1
        [mail] = wait_for(lambda: server.messages, 20, "the mail after the server came back")
        wait_for(lambda: processed(redis_client) >= 2, 20, "the retried job to finish")
        assert jobs_left(redis_client) == 0
        assert [m.rcpt_tos for m in server.messages] == [["down@example.com"]]
        assert mail.parsed()["Subject"] == "Welcome, Down"
        assert redis_client.zcard("retry") == redis_client.zcard("dead") == 0
    finally:
        server.stop()


@pytest.mark.slow
def test_a_refused_recipient_goes_to_dead_without_retries(
    smtp: SMTPServer, start_worker: StartWorker, redis_client: redis.Redis
) -> None:
    start_worker()
    address = f"nobody@{REFUSED_DOMAIN}"
    WelcomeMailer.welcome(address, "Nobody").deliver_later()

    [dead] = wait_for(lambda: payloads(redis_client, "dead"), 20, "the job in the dead set")
    assert dead["error_class"] == "MailRejected"
    assert dead["error_message"] == (
        f"550 5.1.1 <{address}>: Recipient address rejected: User unknown (RCPT TO {address})"
    )
    assert dead["retry_count"] == 0
    lines = decode(dead["error_backtrace"])
    assert CAUSE in lines  # MailRejected from the SMTP error: both tracebacks, cause first
    assert lines.index("smtplib.SMTPRecipientsRefused") < lines.index(CAUSE)
    assert redis_client.zcard("retry") == 0
    assert smtp.messages == []


@pytest.mark.slow
def test_a_server_that_never_answers_is_cut_off_and_retried(
    smtp_port: int, start_worker: StartWorker, redis_client: redis.Redis
) -> None:
    silent = SilentServer(smtp_port)
    try:
        start_worker(TEST_SMTP_TIMEOUT="1")
        started = time.monotonic()
        WelcomeMailer.welcome("hung@example.com", "Hung").deliver_later()

        [retry] = wait_for(lambda: payloads(redis_client, "retry"), 10, "the timed-out job")
        assert time.monotonic() - started < 8  # the 1 s SMTP timeout, not the 60 s job timeout
        assert retry["error_class"] == "SMTPServerDisconnected"
        assert "timed out" in retry["error_message"]
    finally:
        silent.close()

    server = SMTPServer(smtp_port)
    server.start()
    try:
        make_retries_due(redis_client)
        wait_for(lambda: server.messages, 20, "the mail once a real server answers")
    finally:
        server.stop()
