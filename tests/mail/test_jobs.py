"""Mail sent by real worker processes to a real SMTP server (jobs/mail/jobs.py)."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
import redis
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import translation

from jobs.mail import deliver_later
from jobs.mail.errors import InvalidMessage
from jobs.mail.jobs import EmailMessageJob, MailDeliveryJob
from tests.helpers import payloads, wait_for
from tests.mail.mailers import WelcomeMailer
from tests.mail.process import (
    MailWorker,
    StartWorker,
    jobs_left,
    processed,
)
from tests.mail.smtp import SMTPServer

BLOB = bytes(range(256)) * 64 + os.urandom(4096)


def settle(client: redis.Redis, jobs: int) -> None:
    """Wait until `jobs` jobs are finished; then no job is left that could still send."""
    wait_for(lambda: processed(client) >= jobs, 20, f"{jobs} job(s) to finish")
    assert jobs_left(client) == 0


@pytest.mark.slow
def test_mailer_delivery_arrives_once_rendered_in_the_worker(
    smtp: SMTPServer, worker: MailWorker, redis_client: redis.Redis
) -> None:
    jid = WelcomeMailer.welcome("ada@example.com", "Ada O'Neil").deliver_later()

    wait_for(lambda: smtp.messages, 20, "the welcome mail")
    settle(redis_client, 1)
    [mail] = smtp.messages
    parsed = mail.parsed()
    assert parsed["Subject"] == "Welcome, Ada O'Neil"
    assert mail.rcpt_tos == ["ada@example.com"]
    assert parsed["From"] == "Welcome Team <welcome@example.com>"
    assert parsed["Reply-To"] == "help@example.com"
    assert parsed.get_content_type() == "multipart/alternative"
    # Rendered by the worker process, not by this one; text is not HTML-escaped.
    assert worker.pid != os.getpid()
    text = f"Hello Ada O'Neil, it's good to have you.\nRendered by pid {worker.pid}."
    assert mail.text() == text
    assert "<strong>Ada O&#x27;Neil</strong>, it's good to have you." in mail.html()
    assert f"Rendered by pid {worker.pid}." in mail.html()
    assert len(jid) == 24
    assert redis_client.zcard("retry") == redis_client.zcard("dead") == 0


@pytest.mark.slow
def test_message_with_binary_attachment_arrives_byte_identical(
    smtp: SMTPServer, worker: MailWorker, redis_client: redis.Redis
) -> None:
    message = EmailMultiAlternatives(
        subject="Your files",
        body="Two files attached.",
        from_email="files@example.com",
        to=["bob@example.com"],
        cc=["carol@example.com"],
        bcc=["dave@example.com"],
        reply_to=["files-help@example.com"],
        headers={"X-Report-Id": "r-42"},
    )
    message.attach_alternative("<p>Two files attached.</p>", "text/html")
    message.attach("blob.bin", BLOB, "application/octet-stream")
    message.attach("notes.txt", "déjà vu", "text/plain")

    deliver_later(message)

    wait_for(lambda: smtp.messages, 20, "the message with attachments")
    settle(redis_client, 1)
    [mail] = smtp.messages
    assert sorted(mail.rcpt_tos) == ["bob@example.com", "carol@example.com", "dave@example.com"]
    parsed = mail.parsed()
    assert parsed["Subject"] == "Your files"
    assert parsed["Cc"] == "carol@example.com"
    assert parsed["Bcc"] is None  # bcc is an envelope recipient only
    assert parsed["Reply-To"] == "files-help@example.com"
    assert parsed["X-Report-Id"] == "r-42"
    assert mail.text() == "Two files attached."
    assert mail.html() == "<p>Two files attached.</p>"
    files = {part.get_filename(): part for part in parsed.iter_attachments()}
    assert files["blob.bin"].get_payload(decode=True) == BLOB
    assert files["blob.bin"].get_content_type() == "application/octet-stream"
    assert files["notes.txt"].get_content().rstrip("\r\n") == "déjà vu"


@pytest.mark.slow
def test_wait_is_honoured(smtp: SMTPServer, worker: MailWorker, redis_client: redis.Redis) -> None:
    enqueued_at = time.time()
    WelcomeMailer.welcome("later@example.com", "Later").deliver_later(wait=timedelta(seconds=2))

    [scheduled] = payloads(redis_client, "schedule")
    assert scheduled["args"][:3] == [
        "tests.mail.mailers.WelcomeMailer",
        "welcome",
        ["later@example.com", "Later"],
    ]
    [mail] = wait_for(lambda: smtp.messages, 20, "the delayed mail")
    assert mail.at >= enqueued_at + 2
    assert mail.parsed()["Subject"] == "Welcome, Later"


@pytest.mark.slow
def test_wait_until_and_queue(
    smtp: SMTPServer, start_worker: StartWorker, redis_client: redis.Redis
) -> None:
    start_worker("mailers", "critical")
    when = time.time() + 2
    WelcomeMailer.welcome("q@example.com", "Q").deliver_later(wait_until=when, queue="critical")

    [scheduled] = payloads(redis_client, "schedule")
    assert scheduled["queue"] == "critical"
    [mail] = wait_for(lambda: smtp.messages, 20, "the mail on the critical queue")
    assert mail.at >= when


@pytest.mark.slow
def test_language_active_at_enqueue_is_active_in_the_worker(
    smtp: SMTPServer, worker: MailWorker, redis_client: redis.Redis
) -> None:
    with translation.override("fr"):
        WelcomeMailer.language("fr@example.com").deliver_later()
    with translation.override("de"):
        WelcomeMailer.language("de@example.com").deliver_later()

    wait_for(lambda: len(smtp.messages) == 2, 20, "both mails")
    bodies = {mail.rcpt_tos[0]: mail.text() for mail in smtp.messages}
    assert bodies == {"fr@example.com": "Language: fr", "de@example.com": "Language: de"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_deliver_later_in_a_rolled_back_transaction_sends_nothing(
    smtp: SMTPServer, worker: MailWorker, redis_client: redis.Redis
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        WelcomeMailer.welcome("never@example.com", "Never").deliver_later()
        deliver_later(EmailMessage("Never", "never", to=["never@example.com"]))
        raise RuntimeError("roll back")
    with transaction.atomic():
        WelcomeMailer.welcome("after@example.com", "After").deliver_later()

    wait_for(lambda: smtp.messages, 20, "the mail of the committed transaction")
    settle(redis_client, 1)
    assert [mail.rcpt_tos for mail in smtp.messages] == [["after@example.com"]]
    assert processed(redis_client) == 1


@pytest.mark.parametrize(
    ("mailer", "method", "error"),
    [
        ("os.system", "welcome", "unknown mailer 'os.system'"),
        ("tests.mail.mailers.WelcomeMailer", "mail", "has no mailer method 'mail'"),
        ("tests.mail.mailers.WelcomeMailer", "_helper", "has no mailer method '_helper'"),
        ("tests.mail.mailers.WelcomeMailer", "__init__", "has no mailer method '__init__'"),
    ],
)
def test_only_mailer_methods_of_registered_mailers_run(
    mailer: str, method: str, error: str
) -> None:
    job = MailDeliveryJob()

    with pytest.raises(InvalidMessage, match=error) as caught:
        job.perform(mailer, method, ["a@example.com"], None)

    assert job.retry_in(0, caught.value) == "kill"
    assert mail.outbox == []


def test_a_method_returning_none_sends_nothing() -> None:
    MailDeliveryJob().perform("tests.mail.mailers.WelcomeMailer", "skipped", ["a@x.io"], "en")

    assert mail.outbox == []


def test_a_malformed_message_is_killed() -> None:
    job = EmailMessageJob()

    with pytest.raises(InvalidMessage, match="malformed serialised email message") as caught:
        job.perform({"version": 1, "subject": "only"})

    assert job.retry_in(0, caught.value) == "kill"


@pytest.mark.slow
def test_a_payload_naming_an_unregistered_mailer_goes_to_dead(
    worker: MailWorker, redis_client: redis.Redis
) -> None:
    MailDeliveryJob.perform_async("subprocess.run", "welcome", [["touch", "/tmp/pwned"]], None)

    [dead] = wait_for(lambda: payloads(redis_client, "dead"), 20, "the job in the dead set")
    assert dead["error_class"] == "InvalidMessage"
    assert dead["error_message"] == (
        "unknown mailer 'subprocess.run': no registered Mailer has that name"
    )
    assert dead["retry_count"] == 0
