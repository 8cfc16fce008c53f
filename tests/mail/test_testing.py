"""Assertion helpers for mail under jobs.testing (jobs/mail/testing.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import translation

from jobs import testing
from jobs.mail import deliver_later
from jobs.mail.testing import (
    assert_mail_enqueued,
    assert_no_mail_enqueued,
    deliver_enqueued_mails,
    enqueued_mails,
)
from tests.mail.mailers import WelcomeMailer


@pytest.fixture
def fake() -> Iterator[None]:
    with testing.fake():
        yield


@pytest.mark.usefixtures("fake")
def test_assert_mail_enqueued_finds_the_call_and_returns_it() -> None:
    WelcomeMailer.welcome("a@example.com", "Ann").deliver_later(wait=60)
    WelcomeMailer.note("b@example.com", text="hi").deliver_later()

    found = assert_mail_enqueued(WelcomeMailer.welcome, "a@example.com", "Ann")
    assert found.at is not None
    assert found.queue == "mailers"
    assert assert_mail_enqueued(WelcomeMailer.note, "b@example.com", text="hi").kwargs == {
        "text": "hi"
    }


@pytest.mark.usefixtures("fake")
def test_assert_mail_enqueued_lists_what_was_enqueued_when_it_fails() -> None:
    WelcomeMailer.welcome("a@example.com", "Ann").deliver_later()

    with pytest.raises(AssertionError) as failure:
        assert_mail_enqueued(WelcomeMailer.welcome, "a@example.com", "Bob")

    assert str(failure.value) == (
        "no mail enqueued for tests.mail.mailers.WelcomeMailer.welcome('a@example.com', 'Bob');"
        " enqueued mails:\n  tests.mail.mailers.WelcomeMailer.welcome('a@example.com', 'Ann')"
    )


def test_outside_fake_mode_the_failure_says_so() -> None:
    with pytest.raises(AssertionError, match=r"is jobs.testing.fake\(\) active"):
        assert_mail_enqueued(WelcomeMailer.welcome, "a@example.com", "Ann")


def test_only_mailer_methods_read_on_the_class_are_accepted() -> None:
    with pytest.raises(TypeError, match="not a mailer method"):
        assert_mail_enqueued(print, "x")


@pytest.mark.usefixtures("fake")
def test_no_mail_and_messages_are_reported() -> None:
    assert_no_mail_enqueued()
    deliver_later(EmailMessage("Report", "body", to=["r@example.com"]))

    [queued] = enqueued_mails()
    assert str(queued) == "message 'Report' to ['r@example.com']"
    built = queued.message()
    assert built is not None
    assert built.subject == "Report"
    with pytest.raises(AssertionError, match="1 mail"):
        assert_no_mail_enqueued()


@pytest.mark.usefixtures("fake")
def test_enqueued_mail_builds_in_its_language_and_delivers() -> None:
    with translation.override("fr"):
        WelcomeMailer.language("fr@example.com").deliver_later()

    [queued] = enqueued_mails()
    built = queued.message()
    assert built is not None
    assert built.body == "Language: fr\n"
    assert mail.outbox == []

    assert deliver_enqueued_mails() == 1
    assert [m.body for m in mail.outbox] == ["Language: fr\n"]
    assert enqueued_mails() == []


def test_inline_mode_puts_mail_in_the_outbox() -> None:
    with testing.inline(), translation.override("de"):
        WelcomeMailer.language("de@example.com").deliver_later()
        deliver_later(EmailMessage("Inline", "body", to=["i@example.com"]))

    assert [(m.to, m.body) for m in mail.outbox] == [
        (["de@example.com"], "Language: de\n"),
        (["i@example.com"], "body"),
    ]
