"""An EmailMessage as JSON and back, so a worker can send a message built in a request.

1. Everything Django puts on the wire is kept: subject, body, sender, to, cc, bcc,
   reply_to, extra headers, content and multipart subtypes, encoding, alternatives and
   attachments.
2. Text travels as text; bytes (binary attachments, rfc822 messages) as base64, so
   they arrive byte-identical. Ready-made MIME parts (MIMEBase, and Django 6's
   MIMEPart) travel as their bytes and are parsed back into the same kind of part.
3. Lazy translations are resolved (in the active language) when serialising; any other
   value JSON cannot carry raises TypeError naming it, as job arguments do.
4. The result is an EmailMessage, or an EmailMultiAlternatives when the original had
   alternatives; custom subclasses are not rebuilt (no class path is ever imported).
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
from collections.abc import Sequence
from email.message import Message, MIMEPart
from email.mime.base import MIMEBase
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import EmailAttachment
from django.utils.functional import Promise

from jobs.arguments import check_args
from jobs.mail.errors import InvalidMessage

VERSION = 1
# Multipart subtypes Django 5.2 lets a message change (Django 6 removed them).
_SUBTYPES = ("mixed_subtype", "alternative_subtype")
MessageData = dict[str, Any]


def _str(value: object) -> object:
    return str(value) if isinstance(value, Promise) else value


def _addresses(values: Sequence[Any]) -> list[object]:
    return [_str(value) for value in values]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _content(value: object) -> dict[str, object]:
    if isinstance(value, EmailMessage):
        value = value.message()
    if isinstance(value, Message):
        value = value.as_bytes()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"base64": _b64(bytes(value))}
    return {"text": _str(value)}


def _attachment(attachment: Any) -> dict[str, object]:
    if isinstance(attachment, MIMEPart):
        return {"mimepart": _b64(attachment.as_bytes())}
    if isinstance(attachment, MIMEBase):
        return {"mimebase": _b64(attachment.as_bytes())}
    filename, content, mimetype = attachment
    return {"filename": filename, "mimetype": mimetype, **_content(content)}


def message_to_dict(message: EmailMessage) -> MessageData:
    """A JSON-native dict describing `message`; raise TypeError for what JSON cannot carry."""
    data: MessageData = {
        "version": VERSION,
        "subject": _str(message.subject),
        "body": _str(message.body),
        "from_email": _str(message.from_email),
        "to": _addresses(message.to),
        "cc": _addresses(message.cc),
        "bcc": _addresses(message.bcc),
        "reply_to": _addresses(message.reply_to),
        "headers": {str(k): _str(v) for k, v in message.extra_headers.items()},
        "content_subtype": message.content_subtype,
        "encoding": None if message.encoding is None else str(message.encoding),
        "attachments": [_attachment(a) for a in message.attachments],
    }
    for attr in _SUBTYPES:
        value = getattr(message, attr, None)
        if value is not None:
            data[attr] = value
    if isinstance(message, EmailMultiAlternatives):
        data["alternatives"] = [
            {"mimetype": mimetype, **_content(content)}
            for content, mimetype in message.alternatives
        ]
    for key, value in data.items():
        check_args([value], "email message", [key])
    return data


def _decode_content(item: dict[str, Any]) -> str | bytes:
    if "base64" in item:
        return base64.b64decode(item["base64"], validate=True)
    text = item["text"]
    if not isinstance(text, str):
        raise InvalidMessage(f"content is a {type(text).__name__}, not text")
    return text


def _mimebase(data: bytes) -> MIMEBase:
    """Parse MIME bytes back into a MIMEBase with the same headers and payload."""
    parsed = email.message_from_bytes(data)
    part = MIMEBase(parsed.get_content_maintype(), parsed.get_content_subtype())
    del part["Content-Type"], part["MIME-Version"]  # set by MIMEBase; taken from `parsed`
    for name, value in parsed.items():
        part[name] = value
    part.set_payload(parsed.get_payload())
    return part


def _attachment_from(item: dict[str, Any]) -> Any:
    if "mimepart" in item:
        data = base64.b64decode(item["mimepart"], validate=True)
        part_class: Any = MIMEPart
        return email.message_from_bytes(data, _class=part_class, policy=email.policy.default)
    if "mimebase" in item:
        return _mimebase(base64.b64decode(item["mimebase"], validate=True))
    fields: list[Any] = [item.get("filename"), _decode_content(item), item.get("mimetype")]
    return EmailAttachment(*fields)


def message_from_dict(data: MessageData) -> EmailMessage:
    """Rebuild the message described by `data`; raise InvalidMessage if it is malformed."""
    if not isinstance(data, dict) or data.get("version") != VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        raise InvalidMessage(f"not a serialised email message (version {version!r})")
    try:
        return _build(data)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise InvalidMessage(f"malformed serialised email message: {exc!r}") from exc


def _build(data: MessageData) -> EmailMessage:
    fields = {
        "subject": data["subject"],
        "body": data["body"],
        "from_email": data["from_email"],
        "to": data["to"],
        "cc": data["cc"],
        "bcc": data["bcc"],
        "reply_to": data["reply_to"],
        "headers": dict(data["headers"]),
    }
    message: Any  # django-stubs do not declare every attribute set below
    if "alternatives" in data:
        message = EmailMultiAlternatives(**fields)
        for item in data["alternatives"]:
            message.attach_alternative(_decode_content(item), item["mimetype"])
    else:
        message = EmailMessage(**fields)
    message.content_subtype = data["content_subtype"]
    for attr in _SUBTYPES:
        if attr in data and hasattr(type(message), attr):  # gone in Django 6
            setattr(message, attr, data[attr])
    message.encoding = data["encoding"]
    # Appended as they were, not through attach(), which may re-guess or re-decode.
    message.attachments = [_attachment_from(item) for item in data["attachments"]]
    built: EmailMessage = message
    return built
