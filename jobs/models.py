"""A model without a table: it gives the dashboard its permissions and admin index entry.

`jobs.view_dashboard` is implied for staff; `jobs.change_dashboard` lets a staff user
act (retry, delete, kill, clear, quiet, stop). Superusers have both.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dashboard(models.Model):
    """The jobs dashboard at /admin/jobs/ (no database table)."""

    class Meta:
        managed = False
        default_permissions = ("view", "change")
        verbose_name = _("dashboard")  # the admin index's entry, in the admin's language
        verbose_name_plural = _("dashboard")

    def __str__(self) -> str:
        return "Jobs dashboard"
