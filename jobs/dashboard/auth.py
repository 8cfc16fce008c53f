"""Who may see the dashboard and who may act on it.

1. An active staff user of the Django admin session may see everything; acting
   needs the `jobs.change_dashboard` permission (superusers have it).
2. When JOBS ADMIN_USERNAME and ADMIN_PASSWORD are both set, HTTP Basic with those
   gives full access. Both parts are compared in constant time, on digests, so
   neither a wrong username nor a wrong length answers faster.
3. Wrong Basic credentials get 401 with a challenge; anyone else is sent to the
   admin login page, like any admin URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from jobs.conf import get_settings

CHANGE_PERMISSION = "jobs.change_dashboard"
REALM = 'Basic realm="jobs dashboard", charset="UTF-8"'


@dataclass(frozen=True)
class Access:
    """What the current request may do."""

    can_act: bool
    via: str  # "session" or "basic"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic` header; ("", "") if unreadable."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ("", "")
    username, _, password = decoded.partition(":")
    return username, password


def basic_auth_matches(username: str, password: str) -> bool:
    """Whether the pair equals the configured one (constant time; False if unset)."""
    settings = get_settings()
    expected_user, expected_password = settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD
    if not expected_user or not expected_password:
        return False
    user_ok = hmac.compare_digest(_digest(username), _digest(expected_user))
    password_ok = hmac.compare_digest(_digest(password), _digest(expected_password))
    return user_ok & password_ok


def basic_auth_enabled() -> bool:
    """Whether Basic credentials are configured at all."""
    settings = get_settings()
    return bool(settings.ADMIN_USERNAME and settings.ADMIN_PASSWORD)


def unauthorized() -> HttpResponse:
    """401 with a Basic challenge."""
    response = HttpResponse("Authentication required.\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = REALM
    return response


def login_redirect(request: HttpRequest) -> HttpResponse:
    """Send a browser to the admin login page, coming back here afterwards."""
    try:
        login_url = reverse("admin:login")
    except NoReverseMatch:
        login_url = None  # falls back to settings.LOGIN_URL
    return redirect_to_login(request.get_full_path(), login_url)


def authenticate(request: HttpRequest) -> Access | HttpResponse:
    """The access of this request, or the response refusing it."""
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return Access(can_act=user.has_perm(CHANGE_PERMISSION), via="session")
    credentials = basic_credentials(request)
    if credentials is not None and basic_auth_enabled():
        if basic_auth_matches(*credentials):
            return Access(can_act=True, via="basic")
        return unauthorized()
    return login_redirect(request)
