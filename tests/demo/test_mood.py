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
import redis
from django.core import mail
from django.test import Client
from django.urls import reverse

from jobs import signals, testing
from jobs.mail.jobs import MailDeliveryJob
from jobs.mail.registry import mailer_name
from jobs.mail.testing import (
    assert_mail_enqueued,
    assert_no_mail_enqueued,
    deliver_enqueued_mails,
    enqueued_mails,
)
from project.mood import progress
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
    assert "You feel Sad today" in str(html)
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


@pytest.mark.django_db(transaction=True)  # pushed during the request, as in production
@pytest.mark.usefixtures("redis_down")
def test_redis_down_answers_a_friendly_message_not_a_500(client: Client) -> None:
    response = client.post(reverse("mood:form"), {"email": "a@example.com", "mood": "ok"})

    assert response.status_code == 503
    body = response.content.decode()
    assert "we cannot queue your email right now" in body
    assert 'value="a@example.com"' in body  # what was typed is kept


@pytest.mark.usefixtures("redis_down")
def test_thanks_page_says_so_when_it_cannot_read_the_state(client: Client) -> None:
    response = client.get(reverse("mood:thanks", kwargs={"jid": "0123456789abcdef01234567"}))

    assert response.status_code == 200
    assert progress.WORDS["unknown"] in response.content.decode()


def test_thanks_page_and_state_json_show_the_recorded_state(
    client: Client, redis_client: redis.Redis
) -> None:
    jid = "0123456789abcdef01234567"
    state_url = reverse("mood:state", kwargs={"jid": jid})
    assert client.get(state_url).json() == {"state": "queued", "words": progress.WORDS["queued"]}

    progress.record(jid, "done")

    assert client.get(state_url).json() == {"state": "done", "words": progress.WORDS["done"]}
    page = client.get(reverse("mood:thanks", kwargs={"jid": jid})).content.decode()
    assert progress.WORDS["done"] in page
    assert 0 < redis_client.ttl(progress.key(jid)) <= progress.KEEP_SECONDS


def test_state_of_something_not_a_jid_is_a_404(client: Client) -> None:
    assert client.get(reverse("mood:state", kwargs={"jid": "nope"})).status_code == 404
    assert client.get(reverse("mood:thanks", kwargs={"jid": "x" * 24})).status_code == 404


def test_only_mood_deliveries_are_recorded(redis_client: redis.Redis) -> None:
    jid = "abcdefabcdefabcdefabcdef"
    other = {"jid": jid, "args": ["some.other.Mailer", "welcome", [], None]}
    signals.job_succeeded.send(sender=MailDeliveryJob, payload=other, duration=0.1)
    assert not redis_client.exists(progress.key(jid))

    mood = {**other, "args": [mailer_name(MoodMailer), "mood", ["a@example.com", "ok"], None]}
    signals.job_started.send(sender=MailDeliveryJob, payload=mood)
    assert redis_client.hget(progress.key(jid), "state") == b"running"


def test_pages_have_a_favicon_and_no_emoji(client: Client) -> None:
    body = client.get(reverse("mood:form")).content.decode()

    assert 'rel="icon"' in body
    assert "mood/favicon.svg" in body
    # Emoji render as empty boxes where no emoji font is installed (many Linux desktops).
    assert not [ch for ch in body if ord(ch) >= 0x1F000 or 0x2600 <= ord(ch) <= 0x27BF]
