"""The Daily Mood demo app."""

from django.apps import AppConfig


class MoodConfig(AppConfig):
    """Daily Mood: pick a mood, get it by email a moment later."""

    name = "project.mood"
    label = "mood"
    verbose_name = "Daily Mood"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from project.mood import progress

        progress.connect()  # the worker records each delivery's state for the thanks page
