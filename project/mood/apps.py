"""The Daily Mood demo app."""

from django.apps import AppConfig


class MoodConfig(AppConfig):
    """Daily Mood: pick a mood, get it by email a moment later."""

    name = "project.mood"
    label = "mood"
    verbose_name = "Daily Mood"
    default_auto_field = "django.db.models.BigAutoField"
