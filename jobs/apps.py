"""App config: discover every installed app's `jobs.py` and register the system checks."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Jobs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jobs import checks  # noqa: F401  (registers the checks)
        from jobs.mail import checks as mail_checks  # noqa: F401  (registers the mail checks)
        from jobs.mail import jobs as mail_jobs  # noqa: F401  (registers the mail jobs)
        from jobs.recurring import checks as recurring_checks  # noqa: F401

        # Import <app>.jobs for every installed app, so its Job classes register.
        autodiscover_modules("jobs")
        # And <app>.mailers, so a worker knows every Mailer a mail job may name.
        autodiscover_modules("mailers")
        # And, when TASKS uses jobs.tasks.JobsBackend, <app>.tasks (django.tasks tasks).
        from jobs.tasks.discovery import discover

        discover()
