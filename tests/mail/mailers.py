"""Mailers the mail tests use, in the test process and in worker processes."""

from __future__ import annotations

import os

from django.core.mail import EmailMultiAlternatives

from jobs.mail import Mailer, mailer_method


class WelcomeMailer(Mailer):
    default_from = "Welcome Team <welcome@example.com>"
    default_reply_to = ("help@example.com",)

    @mailer_method
    def welcome(self, email: str, name: str) -> EmailMultiAlternatives:
        """Text and HTML from templates; they name the process that rendered them."""
        return self.mail(
            to=[email],
            subject=f"Welcome, {name}",
            template="mail_tests/welcome",
            context={"name": name, "pid": os.getpid()},
        )

    @mailer_method
    def language(self, email: str) -> EmailMultiAlternatives:
        """A body naming the language active while it renders."""
        return self.mail(to=email, subject="Language", template="mail_tests/language")

    @mailer_method
    def note(
        self, email: str, *, text: str = "hello", cc: list[str] | None = None
    ) -> EmailMultiAlternatives:
        """A plain body, keyword arguments, cc, bcc and a header."""
        return self.mail(
            to=[email],
            subject="Note",
            body=text,
            cc=cc or [],
            bcc=["audit@example.com"],
            headers={"X-Mailer-Test": "note"},
        )

    @mailer_method
    def skipped(self, email: str) -> None:
        """Sends nothing: a mailer method may decide not to mail."""
        return None

    def plain(self, email: str) -> EmailMultiAlternatives:
        """Not decorated: wrapped as a mailer method all the same."""
        return self.mail(to=[email], subject="Plain", template="mail_tests/html_only")

    def _helper(self) -> str:
        return "not a mailer method"
