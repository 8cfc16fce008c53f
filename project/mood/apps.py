"""The Daily Mood demo app."""

from django.apps import AppConfig


class MoodConfig(AppConfig):
    """Daily Mood: pick a mood, get it by email a moment later."""

    name = "project.mood"
    label = "mood"
    verbose_name = "Daily Mood"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from project.mood import progress

        if getattr(settings, "MOOD_PROGRESS", True):  # bench/settings.py leaves it out
            progress.connect()  # the worker records each delivery's state for the thanks page
