"""Mail from the worker: Mailer classes, `deliver_later`, and a queued email backend.

The modules, bottom-up; each imports only the ones above it in this list:

- `errors`: SMTP failures sorted into MailRejected (dead now) and MailDeferred (retried);
  `serialize`: an EmailMessage as JSON and back; `delivery`: send a built message
  through the backend that really sends, with a timeout.
- `registry`: Mailer classes by the name written in payloads.
- `jobs`: the jobs that build and send mail in the worker, and the calls that enqueue them.
- `mailer`: `Mailer`, `MessageDelivery` and `deliver_later`, the API of this package.
- `backends`: `QueuedEmailBackend`, so every `send_mail()` of the site leaves from the worker.
- `checks`: system checks; `testing`: assertions on the mail kept by `jobs.testing.fake()`.

    from jobs.mail import Mailer, deliver_later

    class UserMailer(Mailer):
        def welcome(self, user_id: int) -> EmailMessage:
            return self.mail(to=[...], subject="Welcome", template="emails/welcome")

    UserMailer.welcome(user.pk).deliver_later()
    deliver_later(any_email_message)
"""

from __future__ import annotations

from jobs.mail.errors import MailDeferred, MailRejected
from jobs.mail.mailer import Mailer, MessageDelivery, deliver_later, mailer_method

__all__ = [
    "MailDeferred",
    "MailRejected",
    "Mailer",
    "MessageDelivery",
    "deliver_later",
    "mailer_method",
]
