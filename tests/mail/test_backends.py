"""QueuedEmailBackend and the connection the worker sends through (jobs/mail/backends.py)."""

from __future__ import annotations

from typing import Any

import django
import pytest
import redis
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, send_mail, send_mass_mail
from django.db import transaction

from jobs import testing
from jobs.exceptions import EnqueueError
from jobs.mail.delivery import delivery_connection
from jobs.mail.jobs import EmailMessageJob
from jobs.mail.serialize import message_from_dict
from tests.helpers import wait_for
from tests.mail.process import StartWorker, jobs_left, processed
from tests.mail.smtp import SMTPServer

QUEUED = "jobs.mail.backends.QueuedEmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def queued(settings: Any, legacy_email_settings: None) -> None:
    """This process's site sends mail through the queue."""
    settings.EMAIL_BACKEND = QUEUED


@pytest.mark.slow
@pytest.mark.usefixtures("queued")
def test_send_mail_goes_through_the_queue_and_arrives(
    smtp: SMTPServer, start_worker: StartWorker, redis_client: redis.Redis
) -> None:
    # The worker's own EMAIL_BACKEND is the queued one too: it must send, not re-queue.
    start_worker(TEST_EMAIL_BACKEND="queued")

    sent = send_mail("Queued", "through Redis", "site@example.com", ["q@example.com"])
    message = EmailMessage("Attached", "see file", to=["r@example.com"])
    message.attach("data.bin", b"\x00\x01\xfe\xff", "application/octet-stream")
    assert (sent, message.send()) == (1, 1)

    wait_for(lambda: len(smtp.messages) == 2, 20, "both queued mails")
    wait_for(lambda: processed(redis_client) >= 2, 20, "both jobs to finish")
    assert jobs_left(redis_client) == 0
    by_rcpt = {m.rcpt_tos[0]: m for m in smtp.messages}
    assert sorted(by_rcpt) == ["q@example.com", "r@example.com"]
    assert by_rcpt["q@example.com"].text() == "through Redis"
    [attachment] = by_rcpt["r@example.com"].parsed().iter_attachments()
    assert attachment.get_payload(decode=True) == b"\x00\x01\xfe\xff"
    assert mail.outbox == []


@pytest.mark.usefixtures("queued")
def test_each_message_with_recipients_becomes_one_job() -> None:
    with testing.fake():
        count = send_mass_mail(
            [
                ("One", "1", "s@example.com", ["a@example.com"]),
                ("Nobody", "-", "s@example.com", []),
                ("Two", "2", "s@example.com", ["b@example.com", "c@example.com"]),
            ]
        )
        jobs = testing.all_jobs()

    assert count == 2
    assert [job["class"] for job in jobs] == ["jobs.mail.jobs.EmailMessageJob"] * 2
    assert [job["queue"] for job in jobs] == ["mailers", "mailers"]
    rebuilt = [message_from_dict(job["args"][0]) for job in jobs]
    assert [(m.subject, m.to) for m in rebuilt] == [
        ("One", ["a@example.com"]),
        ("Two", ["b@example.com", "c@example.com"]),
    ]


@pytest.mark.usefixtures("queued")
def test_inline_mode_sends_through_the_real_backend_not_the_queue_again(settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "EMAIL_BACKEND": LOCMEM}

    with testing.inline():
        assert send_mail("Inline", "now", "s@example.com", ["i@example.com"]) == 1

    assert [(m.subject, m.to) for m in mail.outbox] == [("Inline", ["i@example.com"])]


@pytest.mark.usefixtures("queued", "redis_down")
def test_fail_silently_swallows_an_enqueue_failure() -> None:
    assert send_mail("Lost", "body", "s@example.com", ["a@example.com"], fail_silently=True) == 0

    with pytest.raises(EnqueueError, match="could not enqueue"):
        send_mail("Lost", "body", "s@example.com", ["a@example.com"])


@pytest.mark.usefixtures("queued", "redis_down")
def test_fail_silently_does_not_hide_a_message_json_cannot_carry() -> None:
    message = EmailMessage("Bad", "body", to=["a@example.com"], headers={"X-N": 1j})

    with pytest.raises(TypeError, match="headers"):
        message.send(fail_silently=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("queued", "redis_down")
def test_fail_silently_also_holds_when_the_push_waits_for_a_commit() -> None:
    with transaction.atomic():
        send_mail("Lost", "body", "s@example.com", ["a@example.com"], fail_silently=True)
    # Committed without an error. Without fail_silently the failure surfaces at commit:
    with pytest.raises(EnqueueError, match="could not enqueue"), transaction.atomic():
        send_mail("Lost", "body", "s@example.com", ["a@example.com"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("queued")
def test_a_rolled_back_transaction_queues_nothing() -> None:
    with testing.fake():
        with pytest.raises(RuntimeError), transaction.atomic():
            send_mail("Never", "body", "s@example.com", ["a@example.com"])
            raise RuntimeError
        assert testing.all_jobs() == []


@pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS arrived in Django 6.1")
@pytest.mark.usefixtures("redis_url")
def test_with_mailers_the_queued_backend_names_the_mailer_that_sends(settings: Any) -> None:
    settings.MAILERS = {
        "default": {"BACKEND": QUEUED, "OPTIONS": {"mailer": "outbox"}},
        "outbox": {"BACKEND": LOCMEM},
        "loop": {"BACKEND": QUEUED},
    }

    with testing.fake():
        assert send_mail("Via MAILERS", "body", "s@example.com", ["m@example.com"]) == 1
        [job] = testing.all_jobs()
        assert job["args"][1:] == ["outbox"]
        assert EmailMessageJob.drain() == 1

    assert [m.subject for m in mail.outbox] == ["Via MAILERS"]
    with pytest.raises(ImproperlyConfigured, match="MAILERS\\['loop'\\] is the queued backend"):
        delivery_connection("loop")
