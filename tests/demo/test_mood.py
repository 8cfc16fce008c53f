"""The Daily Mood demo: the form queues one MoodSenderJob, and the job sends the mail.

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
from project.mood.jobs import MoodSenderJob

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., AbstractContextManager[Any]]


def test_form_page_offers_the_three_moods(client: Client) -> None:
    response = client.get(reverse("mood:form"))

    assert response.status_code == 200
    body = response.content.decode()
    for mood in ("happy", "ok", "sad"):
        assert f'value="{mood}"' in body
    assert "mood/mood.css" in body


def test_post_queues_one_job_and_redirects_at_once(
    client: Client, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with testing.fake():
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("mood:form"), {"email": "a@example.com", "mood": "happy"}
            )

        assert [job["args"] for job in MoodSenderJob.jobs] == [["a@example.com", "happy"]]
        jid = MoodSenderJob.jobs[0]["jid"]
        assert MoodSenderJob.jobs[0]["queue"] == "mailers"

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

        assert MoodSenderJob.jobs == []

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

        assert MoodSenderJob.jobs == []

    assert response.status_code == 200
    assert "mood" in response.context["form"].errors


def test_the_job_mails_the_mood(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MoodSenderJob, "slow_seconds", 0)

    MoodSenderJob().perform("a@example.com", "sad")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.com"]
    assert message.subject == "Your mood today: sad"
    assert "tomorrow is a new day" in message.body


def test_draining_the_queued_job_sends_the_mail(
    client: Client, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: OnCommit
) -> None:
    monkeypatch.setattr(MoodSenderJob, "slow_seconds", 0)
    with testing.fake():
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("mood:form"), {"email": "b@example.com", "mood": "ok"})

        assert MoodSenderJob.drain() == 1

    assert [m.to for m in mail.outbox] == [["b@example.com"]]
