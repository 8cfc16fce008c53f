"""Security headers put on every dashboard response, refusals included; safe redirects."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# A path segment a browser resolves as "." or ".." once decoded, with either separator.
_DOT_SEGMENT = re.compile(r"(^|[/\\])\.{1,2}($|[/\\])")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def secure(response: HttpResponseBase) -> HttpResponseBase:
    """Add the dashboard's security headers to `response` and return it."""
    for name, value in HEADERS.items():
        response[name] = value
    return response


def is_dashboard_url(target: str, request: HttpRequest) -> bool:
    """Whether redirecting to `target` keeps the browser inside the dashboard.

    Only a path on this host under the dashboard's root: no scheme or host, no control
    character, and no `.` or `..` segment (percent-encoded or with backslashes, which
    browsers resolve too) that would climb out of it.
    """
    if not target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return False
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or _DOT_SEGMENT.search(unquote(parts.path)):
        return False
    return parts.path.startswith(reverse("jobs:index"))
