"""URLs of the demo project: the jobs dashboard, the Django admin and the Daily Mood app."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    # Before the admin's own URLs, or admin/ would swallow admin/jobs/ as a 404.
    path("admin/jobs/", include("jobs.urls")),
    path("admin/", admin.site.urls),
    path("", include("project.mood.urls")),
]
