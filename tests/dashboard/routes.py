"""Every route of the dashboard, walked from the URL resolver with sample arguments."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

SAMPLES = {"name": "default", "jobset": "retries", "key": "1.5-abc"}


@dataclass(frozen=True)
class Route:
    name: str
    url: str
    view_class: type
    is_action: bool


def dashboard_resolver() -> URLResolver:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "jobs":
            return entry
    raise AssertionError("jobs.urls is not included")


def routes() -> list[Route]:
    found = []
    for pattern in dashboard_resolver().url_patterns:
        assert isinstance(pattern, URLPattern)
        params = {k: SAMPLES[k] for k in pattern.pattern.converters}
        url = reverse(f"jobs:{pattern.name}", kwargs=params)
        view_class = pattern.callback.view_class  # type: ignore[attr-defined]
        found.append(Route(str(pattern.name), url, view_class, "/actions/" in url))
    return found
