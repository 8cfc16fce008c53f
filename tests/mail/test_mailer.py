"""Mailer classes and the lazy delivery object (jobs/mail/mailer.py), in this process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.test import override_settings
from django.utils import timezone, translation

from jobs import testing
from jobs.mail import Mailer, MessageDelivery, mailer_method
from jobs.mail.registry import lookup_mailer, mailer_name
from tests.mail.mailers import WelcomeMailer


@pytest.fixture
def fake() -> Iterator[None]:
    with testing.fake():
        yield


def kept() -> list[dict[str, Any]]:
    return testing.all_jobs()


def test_class_call_is_lazy_and_checks_arguments_like_a_call() -> None:
    calls: list[str] = []

    class CountingMailer(Mailer):
        name = "tests.CountingMailer"

        def hello(self, email: str) -> EmailMultiAlternatives:
            calls.append(email)
            return self.mail(to=[email], subject="Hi", body="hi")

    delivery = CountingMailer.hello("a@example.com")

    assert isinstance(delivery, MessageDelivery)
    assert calls == []  # nothing built yet
    assert repr(delivery) == "<MessageDelivery CountingMailer.hello('a@example.com')>"
    with pytest.raises(TypeError, match=r"CountingMailer.hello\(\): missing a required argument"):
        CountingMailer.hello()
    assert delivery.deliver_now() == 1
    assert calls == ["a@example.com"]


def test_instance_call_builds_the_message() -> None:
    message = WelcomeMailer().welcome("a@example.com", "Ann")

    assert isinstance(message, EmailMultiAlternatives)
    assert message.subject == "Welcome, Ann"


def test_deliver_now_renders_text_and_html_with_defaults() -> None:
    assert WelcomeMailer.welcome("ann@example.com", "Ann O'Hara").deliver_now() == 1

    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.from_email == "Welcome Team <welcome@example.com>"
    assert message.reply_to == ["help@example.com"]
    assert message.body.startswith("Hello Ann O'Hara, it's good to have you.")  # not escaped
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<strong>Ann O&#x27;Hara</strong>, it's good" in str(html)


def test_body_keywords_cc_bcc_and_headers() -> None:
    WelcomeMailer.note("n@example.com", text="plain words", cc=["c@example.com"]).deliver_now()

    [message] = mail.outbox
    assert message.body == "plain words"
    assert (message.cc, message.bcc) == (["c@example.com"], ["audit@example.com"])
    assert message.extra_headers == {"X-Mailer-Test": "note"}
    assert message.from_email == "Welcome Team <welcome@example.com>"


def test_html_only_template_makes_an_html_body() -> None:
    message = WelcomeMailer.plain("p@example.com").message()

    assert message is not None
    assert message.content_subtype == "html"
    assert "<em>HTML</em>" in message.body


def test_method_returning_none_sends_nothing() -> None:
    assert WelcomeMailer.skipped("s@example.com").deliver_now() == 0
    assert mail.outbox == []


def test_missing_templates_and_mixed_arguments_are_errors() -> None:
    mailer = WelcomeMailer()
    with pytest.raises(TemplateDoesNotExist, match=r"nope\.txt or .*nope\.html"):
        mailer.mail(to="a@example.com", subject="x", template="mail_tests/nope")
    with pytest.raises(TypeError, match="not both"):
        mailer.mail(to="a@example.com", subject="x", template="mail_tests/welcome", body="b")


def test_public_methods_are_mailer_methods_private_ones_are_not() -> None:
    assert WelcomeMailer.mailer_methods == {"welcome", "language", "note", "skipped", "plain"}
    assert WelcomeMailer()._helper() == "not a mailer method"
    assert "mail" not in WelcomeMailer.mailer_methods


def test_mailers_are_registered_by_name() -> None:
    assert mailer_name(WelcomeMailer) == "tests.mail.mailers.WelcomeMailer"
    assert lookup_mailer("tests.mail.mailers.WelcomeMailer") is WelcomeMailer
    assert lookup_mailer("tests.mail.mailers") is None

    class BaseMailer(Mailer):
        abstract = True

    class Named(BaseMailer):
        name = "NamedMailer"

    assert lookup_mailer(mailer_name(BaseMailer)) is None
    assert lookup_mailer("NamedMailer") is Named
    with pytest.raises(RuntimeError, match="mailer name 'NamedMailer' is taken"):
        type("Other", (Mailer,), {"name": "NamedMailer", "__module__": "elsewhere"})


def test_subclasses_inherit_mailer_methods() -> None:
    class Child(WelcomeMailer):
        @mailer_method
        def extra(self, email: str) -> EmailMultiAlternatives:
            return self.mail(to=email, subject="extra", body="x")

    assert {"welcome", "extra"} <= Child.mailer_methods
    assert isinstance(Child.welcome("a@example.com", "A"), MessageDelivery)


@pytest.mark.usefixtures("fake")
def test_deliver_later_enqueues_name_method_args_and_language() -> None:
    with translation.override("fr"):
        jid = WelcomeMailer.welcome("a@example.com", "Ann").deliver_later()

    [payload] = kept()
    assert payload["jid"] == jid
    assert payload["class"] == "jobs.mail.jobs.MailDeliveryJob"
    assert payload["queue"] == "mailers"
    assert payload["args"] == [
        "tests.mail.mailers.WelcomeMailer",
        "welcome",
        ["a@example.com", "Ann"],
        "fr",
    ]
    assert "at" not in payload


@pytest.mark.usefixtures("fake")
def test_keyword_arguments_travel_only_when_given() -> None:
    WelcomeMailer.note("a@example.com", text="hi").deliver_later()

    [payload] = kept()
    assert payload["args"][2:] == [["a@example.com"], translation.get_language(), {"text": "hi"}]


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("a@example.com", dt.date(2026, 1, 1)), {}, r"argument 1 \('name'\) is of type datetime"),
        ((Decimal("1"), "x"), {}, r"argument 0 \('email'\) is of type decimal.Decimal"),
        (("a@example.com",), {"cc": {"x"}}, r"argument 0 \('cc'\) is of type set"),
    ],
)
def test_non_json_arguments_raise_type_error_at_deliver_later(
    args: tuple[Any, ...], kwargs: dict[str, Any], match: str
) -> None:
    method = WelcomeMailer.note if kwargs else WelcomeMailer.welcome
    delivery = method(*args, **kwargs)

    with pytest.raises(TypeError, match=match):
        delivery.deliver_later()
    assert kept() == []


@pytest.mark.usefixtures("fake")
def test_wait_wait_until_and_queue() -> None:
    before = timezone.now().timestamp()
    WelcomeMailer.welcome("a@example.com", "A").deliver_later(wait=dt.timedelta(minutes=5))
    WelcomeMailer.welcome("b@example.com", "B").deliver_later(wait=60)
    when = timezone.now() + dt.timedelta(hours=1)
    WelcomeMailer.welcome("c@example.com", "C").deliver_later(wait_until=when, queue="critical")

    first, second, third = kept()
    assert before + 300 <= first["at"] <= before + 310
    assert before + 60 <= second["at"] <= before + 70
    assert third["at"] == pytest.approx(when.timestamp())
    assert third["queue"] == "critical"
    with pytest.raises(TypeError, match="not both"):
        WelcomeMailer.welcome("d@example.com", "D").deliver_later(wait=1, wait_until=when)


@pytest.mark.usefixtures("fake", "legacy_email_settings")
def test_mail_queue_setting_and_job_timeout_follow_the_settings(settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "MAIL_QUEUE": "low", "EMAIL_TIMEOUT": 100}
    settings.EMAIL_TIMEOUT = None

    WelcomeMailer.welcome("a@example.com", "A").deliver_later()

    [payload] = kept()
    assert payload["queue"] == "low"
    assert payload["timeout"] == 130  # the SMTP timeout plus a margin, above the class's 60 s


@pytest.mark.usefixtures("fake", "legacy_email_settings")
def test_short_smtp_timeout_keeps_the_class_timeout() -> None:
    with override_settings(EMAIL_TIMEOUT=5):
        WelcomeMailer.welcome("a@example.com", "A").deliver_later()

    [payload] = kept()
    assert "timeout" not in payload


@pytest.mark.usefixtures("fake")
def test_an_unregistered_mailer_cannot_deliver_later_but_can_deliver_now() -> None:
    class BaseMailer(Mailer):
        abstract = True

        def hi(self, email: str) -> EmailMultiAlternatives:
            return self.mail(to=email, subject="Hi", body="hi")

    with pytest.raises(TypeError, match="not a registered mailer"):
        BaseMailer.hi("a@example.com").deliver_later()
    assert kept() == []
    assert BaseMailer.hi("a@example.com").deliver_now() == 1
