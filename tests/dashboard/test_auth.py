"""Access details: inactive staff, Basic auth edge cases, constant-time compare, buttons.

The walk over every route for every kind of visitor is tests/security/test_auth.py.
"""

from __future__ import annotations

import pytest
from django.test import Client

from jobs.dashboard import auth
from tests.dashboard.conftest import basic_header


def test_inactive_staff_is_refused(staff_client: Client, staff) -> None:  # type: ignore[no-untyped-def]
    staff.is_active = False
    staff.save()
    assert staff_client.get("/admin/jobs/").status_code == 302


def test_basic_header_is_ignored_when_basic_auth_is_not_configured(
    db: None, redis_client: object
) -> None:
    client = Client(HTTP_AUTHORIZATION=basic_header("any", "thing"))
    response = client.get("/admin/jobs/")
    assert response.status_code == 302  # e.g. a proxy's own Basic auth: fall back to the login


def test_staff_session_wins_over_a_stray_basic_header(
    staff_client: Client, basic_auth: object
) -> None:
    staff_client.defaults["HTTP_AUTHORIZATION"] = basic_header("x", "y")
    assert staff_client.get("/admin/jobs/").status_code == 200


def test_both_parts_are_compared_in_constant_time_even_for_a_wrong_username(
    basic_auth: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert not auth.basic_auth_matches("nobody", "x" * 1000)
    assert len(calls) == 2
    assert all(len(a) == len(b) == 32 for a, b in calls)  # digests: the length leaks nothing
    assert auth.basic_auth_matches(*basic_auth)


def test_staff_without_permission_sees_no_action_buttons(
    viewer_client: Client, redis_client
) -> None:  # type: ignore[no-untyped-def]
    from tests.dashboard.seed import add, failed

    add(redis_client, "retry", failed())
    page = viewer_client.get("/admin/jobs/retries/").content.decode()
    assert "Retry now" not in page
    assert 'name="action"' not in page
    assert "You can look but not act" in page
