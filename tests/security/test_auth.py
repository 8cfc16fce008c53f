"""Who may enter, on every route: refusals leak nothing and change nothing.

Visitors: anonymous, a logged-in user who is not staff, an inactive staff user, a
bearer token, and HTTP Basic with a wrong password, a wrong user, an empty or padded
password, garbage base64, no colon, non-UTF-8 bytes, or credentials when Basic is not
configured. Each one asks every route (GET, HEAD and the POSTs of FORMS, which change
Redis when allowed) and must get the login redirect (302) or 401 with a challenge,
with the security headers, no byte of the seeded data in body or headers, and Redis
unchanged. Staff without the change permission may look but not act.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
import redis
from django.test import Client

from jobs.dashboard.security import HEADERS
from tests.dashboard.conftest import BASIC_PASSWORD, BASIC_USER, basic_header
from tests.figures import Reporter
from tests.security.hostile import snapshot
from tests.security.routes import (
    ACTIONS,
    FORMS,
    LEAK,
    ROUTES,
    Route,
    World,
    examples,
    ids,
)


def raw_basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


# name -> (Authorization header or None, whether Basic is configured, expected status)
BASIC_VISITORS: dict[str, tuple[str, bool, int]] = {
    "basic, wrong password": (basic_header(BASIC_USER, "wrong"), True, 401),
    "basic, password minus its last char": (
        basic_header(BASIC_USER, BASIC_PASSWORD[:-1]),
        True,
        401,
    ),
    "basic, password plus a space": (basic_header(BASIC_USER, BASIC_PASSWORD + " "), True, 401),
    "basic, wrong user": (basic_header("root", BASIC_PASSWORD), True, 401),
    "basic, empty password": (basic_header(BASIC_USER, ""), True, 401),
    "basic, empty both": (basic_header("", ""), True, 401),
    "basic, no colon": (raw_basic(BASIC_USER.encode()), True, 401),
    "basic, not base64": ("Basic !!!not-base64", True, 401),
    "basic, not UTF-8": (raw_basic(b"\xff\xfe:\xc0\xaf"), True, 401),
    "basic, scheme only": ("Basic", True, 401),
    "basic, NUL in password": (basic_header(BASIC_USER, BASIC_PASSWORD + "\x00"), True, 401),
    "bearer token": ("Bearer " + BASIC_PASSWORD, True, 302),
    "basic, not configured": (basic_header(BASIC_USER, BASIC_PASSWORD), False, 302),
}
SESSION_VISITORS = ("anonymous", "not staff", "inactive staff")


def visitor_client(name: str, django_user_model: Any) -> Client:
    """A client for one of the SESSION_VISITORS."""
    client = Client()
    if name == "not staff":
        client.force_login(django_user_model.objects.create_user("member", password=None))
    elif name == "inactive staff":
        user = django_user_model.objects.create_user(
            "gone", password=None, is_staff=True, is_active=False
        )
        client.force_login(user)
    return client


def requests_of(
    route: Route, app: redis.Redis, world: World
) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, URL, data) asking `route` for the seeded data (never naming LEAK in the URL)."""
    if route.acts:
        return [("post", route.url(**kwargs), data) for kwargs, data in FORMS[route.name](world)]
    found = [kw for kw in examples(route, app) if LEAK not in str(kw) and "gone" not in str(kw)]
    url = route.url(**found[-1]) if found else route.url()
    return [("get", url, {}), ("head", url, {})]


def leaks(response: Any) -> bool:
    headers = " ".join(f"{name}: {value}" for name, value in response.items())
    return LEAK in response.content.decode("utf-8", "replace") or LEAK in headers


def test_every_route_refuses_every_stranger_without_leaking(
    db: None,
    plain: World,
    redis_client: redis.Redis,
    settings: Any,
    django_user_model: Any,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    visitors: list[tuple[str, Client, bool, int]] = [
        (name, visitor_client(name, django_user_model), True, 302) for name in SESSION_VISITORS
    ]
    visitors += [
        (name, Client(HTTP_AUTHORIZATION=header), configured, status)
        for name, (header, configured, status) in BASIC_VISITORS.items()
    ]
    before = snapshot(redis_client)
    plain_jobs = settings.JOBS
    with_basic = {**plain_jobs, "ADMIN_USERNAME": BASIC_USER, "ADMIN_PASSWORD": BASIC_PASSWORD}
    requests = 0
    problems: list[str] = []
    for name, client, configured, expected in visitors:
        settings.JOBS = with_basic if configured else plain_jobs
        for route in ROUTES:
            for method, url, data in requests_of(route, app_redis, plain):
                response = getattr(client, method)(url, data)
                requests += 1
                where = f"{name}: {method.upper()} {route.name}"
                if response.status_code != expected:
                    problems.append(f"{where}: {response.status_code}, not {expected}")
                if expected == 302 and not response["Location"].startswith("/admin/login/?next="):
                    problems.append(f"{where}: redirected to {response['Location']}")
                if expected == 401 and not response["WWW-Authenticate"].startswith("Basic realm="):
                    problems.append(f"{where}: no challenge")
                if any(response.get(header) != value for header, value in HEADERS.items()):
                    problems.append(f"{where}: security headers missing")
                if leaks(response):
                    problems.append(f"{where}: leaked data")
    assert not problems, problems[:20]
    assert snapshot(redis_client) == before, "a refused request changed Redis"
    figures(
        "auth, every route",
        routes=len(ROUTES),
        visitors=len(visitors),
        requests=requests,
        allowed=0,
        leaks=0,
        changed_redis=0,
    )


def test_the_data_is_there_for_those_allowed(
    staff_client: Client,
    basic_client: Client,
    plain: World,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    """The control of the test above: the same requests, allowed, do show the data."""
    shown = 0
    for route in ROUTES:
        if route.acts:
            continue
        for method, url, _ in requests_of(route, app_redis, plain):
            for client in (staff_client, basic_client):
                response = getattr(client, method)(url)
                assert response.status_code == 200, (route.name, url)
                assert all(response[name] == value for name, value in HEADERS.items())
                shown += method == "get" and leaks(response)
    assert shown >= 10  # busy, queues, queue, sets, job, metrics: the mark is really there
    figures("auth control: allowed visitors see the data", pages_showing_it=shown)


@pytest.mark.parametrize("route", ACTIONS, ids=ids(ACTIONS))
def test_staff_without_the_permission_may_look_but_not_act(
    route: Route, viewer_client: Client, plain: World, redis_client: redis.Redis
) -> None:
    before = snapshot(redis_client)
    for kwargs, data in FORMS[route.name](plain):
        response = viewer_client.post(route.url(**kwargs), data)
        assert response.status_code == 403
        assert all(response[name] == value for name, value in HEADERS.items())
        assert viewer_client.get(route.url(**kwargs), data).status_code == 405
    assert snapshot(redis_client) == before


@pytest.mark.parametrize("route", ROUTES, ids=ids(ROUTES))
def test_right_basic_credentials_enter_everywhere(
    route: Route, basic_client: Client, plain: World, app_redis: redis.Redis
) -> None:
    for method, url, data in requests_of(route, app_redis, plain):
        response = getattr(basic_client, method)(url, data)
        assert response.status_code == (302 if route.acts else 200), (method, url)
