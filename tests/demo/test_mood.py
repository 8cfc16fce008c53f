"""The Daily Mood demo: the form queues one MoodMailer.mood delivery; the worker sends it.

pytest-django runs each test in a transaction that never commits, and a job enqueued
inside a transaction is pushed on commit: the view tests run the request inside
`django_capture_on_commit_callbacks(execute=True)`, which runs those callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from jobs import testing
from jobs.mail.testing import (
    assert_mail_enqueued,
    assert_no_mail_enqueued,
    deliver_enqueued_mails,
    enqueued_mails,
)
from project.mood.jobs import MoodSenderJob
from project.mood.mailers import MoodMailer

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., AbstractContextManager[Any]]


def test_form_page_offers_the_three_moods(client: Client) -> None:
    response = client.get(reverse("mood:form"))

    assert response.status_code == 200
    body = response.content.decode()
    for mood in ("happy", "ok", "sad"):
        assert f'value="{mood}"' in body
    assert "mood/mood.css" in body


def test_post_queues_one_mail_and_redirects_at_once(
    client: Client, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with testing.fake():
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("mood:form"), {"email": "a@example.com", "mood": "happy"}
            )

        queued = assert_mail_enqueued(MoodMailer.mood, "a@example.com", "happy")
        assert len(enqueued_mails()) == 1
        jid = queued.jid
        assert queued.queue == "mailers"

    assert response.status_code == 302
    assert response["Location"] == reverse("mood:thanks", kwargs={"jid": jid})
    assert mail.outbox == []  # queued, not sent during the request


def test_thanks_page_names_the_job(client: Client) -> None:
    jid = "0123456789abcdef01234567"

    response = client.get(reverse("mood:thanks", kwargs={"jid": jid}))

    assert response.status_code == 200
    assert jid in response.content.decode()


def test_invalid_email_shows_the_form_again_and_queues_nothing(
    client: Client, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with testing.fake():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(reverse("mood:form"), {"email": "not-an-email", "mood": "ok"})

        assert callbacks == []

        assert_no_mail_enqueued()

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Enter a valid email address."]
    assert 'value="not-an-email"' in response.content.decode()


def test_unknown_mood_is_refused(
    client: Client, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with testing.fake():
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("mood:form"), {"email": "a@example.com", "mood": "angry"}
            )

        assert_no_mail_enqueued()

    assert response.status_code == 200
    assert "mood" in response.context["form"].errors


def test_the_mailer_writes_text_and_html(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MoodMailer, "slow_seconds", 0)

    assert MoodMailer.mood("a@example.com", "sad").deliver_now() == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.com"]
    assert message.subject == "Your mood today: sad"
    assert "Sorry it's a rough one" in message.body  # plain text: not HTML-escaped
    assert isinstance(message, mail.EmailMultiAlternatives)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "You feel 😢 Sad today" in str(html)
    assert "Sorry it&#x27;s a rough one" in str(html)


def test_draining_the_queued_mail_sends_it(
    client: Client, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: OnCommit
) -> None:
    monkeypatch.setattr(MoodMailer, "slow_seconds", 0)
    with testing.fake():
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("mood:form"), {"email": "b@example.com", "mood": "ok"})

        assert deliver_enqueued_mails() == 1

    assert [m.to for m in mail.outbox] == [["b@example.com"]]
    assert mail.outbox[0].subject == "Your mood today: ok"


def test_the_plain_job_sends_the_same_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MoodMailer, "slow_seconds", 0)

    MoodSenderJob().perform("c@example.com", "happy")

    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["c@example.com"], "Your mood today: happy")
    ]
