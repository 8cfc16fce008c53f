"""URLs of the dashboard; include with path("admin/jobs/", include("jobs.urls"))."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "jobs"
urlpatterns: list[URLPattern | URLResolver] = []
