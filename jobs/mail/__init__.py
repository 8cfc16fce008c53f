"""Mail from the worker: Mailer classes, `deliver_later`, and a queued email backend.

from jobs.mail import Mailer, deliver_later

class UserMailer(Mailer):
    def welcome(self, user_id: int) -> EmailMessage:
        return self.mail(to=[...], subject="Welcome", template="emails/welcome")

UserMailer.welcome(user.pk).deliver_later()
deliver_later(any_email_message)
"""

from __future__ import annotations

from jobs.mail.errors import MailDeferred, MailRejected
from jobs.mail.jobs import deliver_later
from jobs.mail.mailer import Mailer, MessageDelivery, mailer_method

__all__ = [
    "MailDeferred",
    "MailRejected",
    "Mailer",
    "MessageDelivery",
    "deliver_later",
    "mailer_method",
]
