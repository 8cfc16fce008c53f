"""A plain Job, for comparison: the form mails through MoodMailer.mood(...).deliver_later().

`MoodSenderJob.perform_async(email, mood)` does the same work the long way round, and is
the example of the README's "Write a job" section.
"""

from jobs import Job
from project.mood.mailers import MoodMailer


class MoodSenderJob(Job):
    """Write and send the mood email from inside a job of our own."""

    queue = "mailers"
    retry = 5
    timeout = 60

    def perform(self, email: str, mood: str) -> None:
        """Build the message with the mailer and send it now, from this job."""
        MoodMailer.mood(email, mood).deliver_now()
