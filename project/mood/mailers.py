"""The Daily Mood email, written by a Mailer and sent by the worker."""

import time

from django.core.mail import EmailMultiAlternatives

from jobs.mail import Mailer, mailer_method
from project.mood.forms import MOODS

MESSAGES = {
    "happy": "Glad to hear it! Keep that smile for the rest of the day.",
    "ok": "An OK day is a fine day. Maybe a short walk will make it a good one?",
    "sad": "Sorry it's a rough one. Be kind to yourself; tomorrow is a new day.",
}


class MoodMailer(Mailer):
    """Mails people the mood they picked: `MoodMailer.mood(email, mood).deliver_later()`."""

    # Seconds of pretend work: the reason this email is written by the worker, not the request.
    slow_seconds = 2.0

    @mailer_method
    def mood(self, email: str, mood: str) -> EmailMultiAlternatives:
        """Today's mood, as text and HTML (templates/emails/mood.txt and mood.html)."""
        time.sleep(self.slow_seconds)
        return self.mail(
            to=[email],
            subject=f"Your mood today: {mood}",
            template="emails/mood",
            context={"mood": mood, "label": dict(MOODS)[mood], "message": MESSAGES[mood]},
        )
