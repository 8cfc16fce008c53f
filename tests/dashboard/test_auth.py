"""Access: a walk over every route for every kind of visitor, and Basic auth details."""

from __future__ import annotations

import pytest
from django.test import Client

from jobs.dashboard import auth
from jobs.dashboard.views.base import DashboardView
from tests.dashboard.conftest import basic_header
from tests.dashboard.routes import routes

ROUTES = routes()
IDS = [route.name for route in ROUTES]


def test_the_walk_covers_every_page_and_action() -> None:
    names = {route.name for route in ROUTES}
    assert {
        "index",
        "stats_json",
        "metrics",
        "busy",
        "queues",
        "queue",
        "set",
        "job",
        "recurring",
    } <= names
    assert {"busy_signal", "queue_clear", "queue_delete", "set_action"} <= names
    assert {"recurring_enqueue", "recurring_disable", "recurring_enable"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_every_route_goes_through_the_one_gate(route) -> None:  # type: ignore[no-untyped-def]
    assert issubclass(route.view_class, DashboardView)


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_anonymous_is_sent_to_the_admin_login(route, client: Client, redis_client: object) -> None:  # type: ignore[no-untyped-def]
    for response in (client.get(route.url), client.post(route.url)):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_non_staff_is_refused(route, member_client: Client) -> None:  # type: ignore[no-untyped-def]
    for response in (member_client.get(route.url), member_client.post(route.url)):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_wrong_basic_credentials_get_401(route, basic_auth: tuple[str, str], db: None) -> None:  # type: ignore[no-untyped-def]
    user, password = basic_auth
    for header in (
        basic_header(user, "wrong"),
        basic_header("wrong", password),
        "Basic !!!not-base64",
    ):
        client = Client(HTTP_AUTHORIZATION=header)
        for response in (client.get(route.url), client.post(route.url)):
            assert response.status_code == 401
            assert response["WWW-Authenticate"].startswith("Basic realm=")


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_right_basic_credentials_enter_everywhere(route, basic_client: Client) -> None:  # type: ignore[no-untyped-def]
    response = basic_client.get(route.url)
    assert response.status_code == (405 if route.is_action else 200 if route.name != "job" else 404)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.is_action], ids=lambda r: r.name)
def test_viewer_may_look_but_not_act(route, viewer_client: Client) -> None:  # type: ignore[no-untyped-def]
    assert viewer_client.post(route.url, {"queue": "default", "identity": "*"}).status_code == 403
    assert viewer_client.get(route.url).status_code == 405


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.is_action], ids=lambda r: r.name)
def test_pages_refuse_post(route, staff_client: Client) -> None:  # type: ignore[no-untyped-def]
    assert staff_client.post(route.url).status_code == 405


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
