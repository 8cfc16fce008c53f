"""EmailMessage <-> JSON round trips (jobs/mail/serialize.py)."""

from __future__ import annotations

import email
import email.policy
import json
from email.message import Message, MIMEPart
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from typing import Any

import django
import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils.translation import gettext_lazy, override

from jobs.mail.errors import InvalidMessage
from jobs.mail.serialize import message_from_dict, message_to_dict

DJANGO_6 = django.VERSION >= (6,)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def round_trip(message: EmailMessage) -> EmailMessage:
    """Serialise through real JSON text, as Redis carries it, and rebuild."""
    return message_from_dict(json.loads(json.dumps(message_to_dict(message))))


def structure(message: EmailMessage) -> list[tuple[str, str | None, Any]]:
    """Each MIME part of the rendered message: content type, filename, decoded payload."""
    parsed: Any = email.message_from_bytes(
        message.message().as_bytes(), policy=email.policy.default
    )
    return [
        (part.get_content_type(), part.get_filename(), part.get_payload(decode=True))
        for part in parsed.walk()
        if not part.is_multipart()
    ]


def headers(message: EmailMessage) -> dict[str, str]:
    rendered = message.message()
    skip = {"date", "message-id", "content-type"}
    return {k: str(v) for k, v in rendered.items() if k.lower() not in skip}


def test_plain_message_keeps_every_field() -> None:
    message = EmailMessage(
        subject="Hello",
        body="Body text",
        from_email="Sender <from@example.com>",
        to=["a@example.com", "B <b@example.com>"],
        cc=["c@example.com"],
        bcc=["d@example.com"],
        reply_to=["r@example.com"],
        headers={"X-Tag": "one", "Message-ID": "<fixed@example.com>"},
    )

    copy = round_trip(message)

    assert type(copy) is EmailMessage
    assert (copy.subject, copy.body, copy.from_email) == ("Hello", "Body text", message.from_email)
    assert (copy.to, copy.cc, copy.bcc, copy.reply_to) == (
        message.to,
        message.cc,
        message.bcc,
        message.reply_to,
    )
    assert copy.extra_headers == {"X-Tag": "one", "Message-ID": "<fixed@example.com>"}
    assert copy.recipients() == message.recipients()
    assert headers(copy) == headers(message)
    assert structure(copy) == structure(message)


def test_alternatives_and_attachments_survive_byte_for_byte() -> None:
    message = EmailMultiAlternatives("Files", "text", "f@example.com", ["a@example.com"])
    message.attach_alternative("<p>html</p>", "text/html")
    message.attach("image.png", PNG, "image/png")
    message.attach("notes.txt", "déjà vu", "text/plain")
    message.attach("raw.bin", b"\x00\xff\x00", "application/octet-stream")

    copy = round_trip(message)

    assert isinstance(copy, EmailMultiAlternatives)
    assert copy.alternatives == [("<p>html</p>", "text/html")]
    assert copy.attachments == message.attachments
    assert structure(copy) == structure(message)
    assert ("image/png", "image.png", PNG) in structure(copy)


def test_html_body_and_encoding_are_kept() -> None:
    message = EmailMessage("Html", "<b>hi</b>", to=["a@example.com"])
    message.content_subtype = "html"
    message.encoding = "iso-8859-1"
    message.attach("a.txt", "x", "text/plain")

    copy = round_trip(message)

    assert (copy.content_subtype, copy.encoding) == ("html", "iso-8859-1")
    assert structure(copy) == structure(message)


@pytest.mark.skipif(DJANGO_6, reason="Django 6 removed mixed_subtype")
def test_mixed_subtype_is_kept() -> None:
    message: Any = EmailMessage("Related", "body", to=["a@example.com"])
    message.mixed_subtype = "related"
    message.attach("a.txt", "x", "text/plain")

    assert round_trip(message).message().get_content_subtype() == "related"


@pytest.mark.skipif(DJANGO_6, reason="Django 6 deprecates MIMEBase attachments")
def test_mimebase_attachments_are_rebuilt_as_mimebase() -> None:
    message = EmailMessage("Mime", "body", to=["a@example.com"])
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<logo>")
    image.add_header("Content-Disposition", "inline", filename="logo.png")
    message.attach(image)

    copy = round_trip(message)

    [part] = copy.attachments
    assert isinstance(part, MIMEBase)
    assert part["Content-ID"] == "<logo>"
    assert part.get_payload(decode=True) == PNG
    assert structure(copy) == structure(message)


def test_mimepart_attachments_stay_mimeparts() -> None:
    part = MIMEPart()
    part.set_content(PNG, maintype="image", subtype="png", filename="p.png")
    message = EmailMessage("Part", "body", to=["a@example.com"])
    message.attachments.append(part)

    [copy] = round_trip(message).attachments

    assert isinstance(copy, MIMEPart)
    assert copy.get_filename() == "p.png"
    assert copy.get_content() == PNG


def test_rfc822_and_non_ascii_named_attachments() -> None:
    inner = EmailMessage("Inner", "inner body", "i@example.com", ["x@example.com"])
    message = EmailMessage("Outer", "outer", to=["a@example.com"])
    message.attach(None, inner, "message/rfc822")
    message.attach("résumé.txt", "cv", "text/plain")

    copy = round_trip(message)

    forwarded, cv = copy.attachments
    assert isinstance(forwarded[1], bytes)
    assert b"Subject: Inner" in forwarded[1]
    assert cv == ("résumé.txt", "cv", "text/plain")
    assert copy.message().get_payload()[1].get_payload()[0]["Subject"] == "Inner"
    assert structure(copy) == structure(message)
    assert "résumé.txt" in [filename for _, filename, _ in structure(copy)]


def test_lazy_translations_are_resolved_in_the_active_language() -> None:
    with override("fr"):
        data = message_to_dict(EmailMessage(gettext_lazy("Yes"), "body", to=["a@example.com"]))

    assert data["subject"] == "Oui"


def test_values_json_cannot_carry_raise_type_error() -> None:
    message = EmailMessage("Bad", "body", to=["a@example.com"], headers={"X-Count": 3.5j})

    with pytest.raises(TypeError, match=r"email message: argument 0 \('headers'\).*complex"):
        message_to_dict(message)


def test_unsupported_attachment_content_raises_type_error() -> None:
    message = EmailMessage("Bad", "body", to=["a@example.com"])
    message.attachments.append(("x.bin", object(), "application/octet-stream"))

    with pytest.raises(TypeError, match="attachments"):
        message_to_dict(message)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": 99},
        [],
        {"version": 1, "subject": "no other fields"},
    ],
)
def test_malformed_data_raises_invalid_message(data: Any) -> None:
    with pytest.raises(InvalidMessage, match="serialised email message"):
        message_from_dict(data)


def test_bad_base64_raises_invalid_message() -> None:
    message = EmailMessage("B", "b", to=["a@example.com"])
    message.attach("x.bin", b"\x00", "application/octet-stream")
    data = message_to_dict(message)
    data["attachments"][0]["base64"] = "not base64!"

    with pytest.raises(InvalidMessage, match="malformed"):
        message_from_dict(data)


def test_message_attachment_objects_become_bytes() -> None:
    inner = Message()
    inner["Subject"] = "plain stdlib message"
    inner.set_payload("hi")
    message = EmailMessage("Outer", "outer", to=["a@example.com"])
    message.attach("fwd.eml", inner, "message/rfc822")

    [(name, content, mimetype)] = round_trip(message).attachments

    assert (name, mimetype) == ("fwd.eml", "message/rfc822")
    assert b"Subject: plain stdlib message" in content
