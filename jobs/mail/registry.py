"""Mailer classes by the name written in payloads, so a worker never imports a path.

Mailer subclasses register themselves here when they are defined (jobs.mail.mailer);
the mail jobs look them up by name. This module sees a mailer only through the little
a job needs of it (`RegisteredMailer`), so it sits below the Mailer class itself.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from jobs.registry import Registry


class RegisteredMailer(Protocol):
    """What a mail job uses of a Mailer class: the names of the methods it may call."""

    mailer_methods: ClassVar[frozenset[str]]


_mailers: Registry[type[RegisteredMailer]] = Registry("mailer")


def mailer_name(cls: type[RegisteredMailer]) -> str:
    """The name written in payloads: `name` if the class sets one, else its dotted path."""
    return Registry.name_of(cls)


def register(cls: type[RegisteredMailer]) -> None:
    """Register `cls`; a second, different class under the same name is an error."""
    _mailers.register(cls)


def lookup_mailer(name: str) -> type[RegisteredMailer] | None:
    """Return the registered mailer called `name`, never importing anything."""
    return _mailers.lookup(name)
