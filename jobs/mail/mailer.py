"""Mailer classes, as Rails' ActionMailer: methods build a message, the worker sends it.

    class UserMailer(Mailer):
        default_from = "app@example.com"

        def welcome(self, user_id: int) -> EmailMessage:
            return self.mail(to=[...], subject="Welcome", template="emails/welcome")

    UserMailer.welcome(42).deliver_later()

1. Every public method of a subclass becomes a `MailerMethod`: called on the class it
   returns a lazy `MessageDelivery` (nothing is rendered yet); called on an instance it
   is the plain method that builds the message. `@mailer_method` does the same
   explicitly and tells type checkers what the class call returns.
2. Subclasses are registered by name (dotted path, or the class attribute `name`); the
   worker only runs methods of registered mailers, never imports a path from a payload.
3. `deliver_later()` enqueues the mailer name, the method, the JSON-checked arguments
   and the active language; the worker renders and sends with that language active.
4. `deliver_later(message)` queues any EmailMessage, serialised (jobs.mail.serialize).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, overload

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template import Context, TemplateDoesNotExist
from django.template.backends.django import Template as DjangoTemplate
from django.template.loader import get_template
from django.utils import translation

from jobs.arguments import check_args
from jobs.mail.delivery import send_now
from jobs.mail.jobs import enqueue_delivery, enqueue_message
from jobs.mail.registry import lookup_mailer, mailer_name, register
from jobs.mail.serialize import message_to_dict

P = ParamSpec("P")
BuildResult = EmailMessage | None
Attachment = tuple[str | None, str | bytes, str | None]


class MailerMethod(Generic[P]):
    """A mailer method: on the class, a factory of deliveries; on an instance, the method."""

    def __init__(self, func: Callable[Concatenate[Any, P], BuildResult]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def __set_name__(self, owner: type[Mailer], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[Mailer]) -> BoundMailerMethod[P]: ...
    @overload
    def __get__(self, instance: Mailer, owner: type[Mailer]) -> Callable[P, BuildResult]: ...
    def __get__(
        self, instance: Mailer | None, owner: type[Mailer]
    ) -> BoundMailerMethod[P] | Callable[P, BuildResult]:
        if instance is None:
            return BoundMailerMethod(owner, self.name, self.func)
        bound: Callable[P, BuildResult] = self.func.__get__(instance, owner)
        return bound


def mailer_method(func: Callable[Concatenate[Any, P], BuildResult]) -> MailerMethod[P]:
    """Mark a mailer method explicitly (optional: public methods are wrapped anyway)."""
    return MailerMethod(func)


class BoundMailerMethod(Generic[P]):
    """`UserMailer.welcome`: calling it checks the arguments and returns a MessageDelivery."""

    def __init__(
        self, mailer: type[Mailer], name: str, func: Callable[Concatenate[Any, P], BuildResult]
    ) -> None:
        self.mailer = mailer
        self.name = name
        self.func = func

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> MessageDelivery:
        try:
            inspect.signature(self.func).bind(None, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.mailer.__qualname__}.{self.name}(): {exc}") from None
        return MessageDelivery(self.mailer, self.name, args, kwargs)

    def __repr__(self) -> str:
        return f"<mailer method {mailer_name(self.mailer)}.{self.name}>"


class MessageDelivery:
    """A message to build from a mailer method, now or in the worker (Rails' MessageDelivery)."""

    def __init__(
        self,
        mailer: type[Mailer],
        method: str,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> None:
        self.mailer = mailer
        self.method = method
        self.args = tuple(args)
        self.kwargs = dict(kwargs)

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"<MessageDelivery {self.mailer.__name__}.{self.method}({', '.join(parts)})>"

    def message(self) -> EmailMessage | None:
        """Build the message here and now (None if the method chose not to send)."""
        method: Callable[..., BuildResult] = getattr(self.mailer(), self.method)
        return method(*self.args, **self.kwargs)

    def check_json(self) -> None:
        """Raise TypeError naming the first argument JSON would not carry unchanged."""
        where = f"{self.mailer.__qualname__}.{self.method}"
        signature = inspect.signature(getattr(self.mailer, self.method).func)
        names = [p.name for p in signature.parameters.values()][1:]
        check_args(list(self.args), where, names)
        for key, value in self.kwargs.items():
            check_args([value], where, [key])

    def deliver_now(self) -> int:
        """Build and send the message in this process; return how many were sent (0 or 1)."""
        message = self.message()
        return 0 if message is None else send_now(message)

    def deliver_later(
        self,
        *,
        wait: float | timedelta | None = None,
        wait_until: datetime | float | None = None,
        queue: str | None = None,
    ) -> str:
        """Queue the delivery (after commit inside a transaction); return the job's jid."""
        name = mailer_name(self.mailer)
        if lookup_mailer(name) is not self.mailer:
            raise TypeError(
                f"{name} is not a registered mailer (abstract?); the worker cannot run it"
            )
        self.check_json()
        args: list[Any] = [
            name,
            self.method,
            list(self.args),
            translation.get_language(),
        ]
        if self.kwargs:
            args.append(self.kwargs)
        return enqueue_delivery(args, wait=wait, wait_until=wait_until, queue=queue)


class Mailer:
    """Subclass and write methods that return `self.mail(...)`; call them on the class."""

    # The sender when a method gives none; None = settings.DEFAULT_FROM_EMAIL.
    default_from: ClassVar[str | None] = None
    default_reply_to: ClassVar[Sequence[str]] = ()
    # The name written in payloads; None = the dotted path of the class.
    name: ClassVar[str | None] = None
    # Set `abstract = True` on a base mailer that should not be registered itself.
    abstract: ClassVar[bool] = True
    # Names of the mailer methods the worker may call, filled in per subclass.
    mailer_methods: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attr, value in list(vars(cls).items()):
            if attr.startswith("_") or attr in _BASE_NAMES or not inspect.isfunction(value):
                continue
            setattr(cls, attr, MailerMethod(value))
        cls.mailer_methods = frozenset(
            attr for attr in dir(cls) if isinstance(inspect.getattr_static(cls, attr), MailerMethod)
        )
        if not vars(cls).get("abstract", False):
            register(cls)

    def mail(
        self,
        *,
        to: str | Sequence[str],
        subject: str,
        template: str | None = None,
        context: Mapping[str, Any] | None = None,
        body: str | None = None,
        html: str | None = None,
        from_email: str | None = None,
        cc: Sequence[str] = (),
        bcc: Sequence[str] = (),
        reply_to: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> EmailMultiAlternatives:
        """Build a message: `template` renders `<template>.txt` and, if present, `.html`."""
        if template is not None:
            if body is not None or html is not None:
                raise TypeError("mail() takes template= or body=/html=, not both")
            body, html = self.render(template, {**(context or {}), "mailer": self})
        message = EmailMultiAlternatives(
            subject=subject,
            body=body or "",
            from_email=from_email or self.default_from,
            to=[to] if isinstance(to, str) else list(to),
            cc=list(cc),
            bcc=list(bcc),
            reply_to=list(self.default_reply_to if reply_to is None else reply_to),
            headers=dict(headers or {}),
            attachments=list[Any](attachments),
        )
        if html is not None and body is None:
            message.body, message.content_subtype = html, "html"
        elif html is not None:
            message.attach_alternative(html, "text/html")
        return message

    def render(self, template: str, context: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """Render `<template>.txt` (not HTML-escaped) and `<template>.html`; one may be missing."""
        text = _render_optional(f"{template}.txt", context, autoescape=False)
        html = _render_optional(f"{template}.html", context, autoescape=True)
        if text is None and html is None:
            raise TemplateDoesNotExist(f"{template}.txt or {template}.html")
        return text, html


def _render_optional(name: str, context: Mapping[str, Any], *, autoescape: bool) -> str | None:
    try:
        template = get_template(name)
    except TemplateDoesNotExist:
        return None  # a template it includes that is missing still raises, when rendering
    if not autoescape and isinstance(template, DjangoTemplate):
        # Plain text is not HTML: "it's" must not arrive as "it&#x27;s".
        return template.template.render(Context(dict(context), autoescape=False))
    return template.render(dict(context))


_BASE_NAMES = frozenset(dir(Mailer))


def deliver_later(
    message: EmailMessage,
    *,
    wait: float | timedelta | None = None,
    wait_until: datetime | float | None = None,
    queue: str | None = None,
) -> str:
    """Send `message` from the worker (after commit inside a transaction); return the jid.

    Any EmailMessage or EmailMultiAlternatives, attachments included; `wait` (seconds or
    a timedelta) or `wait_until` (a datetime or epoch seconds) delay it.
    """
    data = message_to_dict(message)
    return enqueue_message(data, wait=wait, wait_until=wait_until, queue=queue)
