"""App config: discover every installed app's `jobs.py` and register the system checks."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jobs import checks  # noqa: F401  (registers the checks)

        # Import <app>.jobs for every installed app, so its Job classes register.
        autodiscover_modules("jobs")
