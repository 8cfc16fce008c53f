"""CSRF and safe methods: no state change without a POST carrying this site's token.

For every action and every request of FORMS (each really changes Redis when sent
properly, which the test proves first), with CSRF checks enforced as in production:
no token, a cookie without the form field, a wrong token, a wrong header token, a
right token from another origin, HTTP Basic without a token (browsers resend Basic
credentials by themselves), and every other method (GET, HEAD, PUT, PATCH, DELETE,
OPTIONS) are refused with the dashboard's security headers, and the whole Redis
database is byte-for-byte unchanged. Pages change nothing whatever the method or
parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import redis
from django.test import Client

from jobs.dashboard.security import HEADERS
from tests.dashboard.conftest import basic_header
from tests.figures import Reporter
from tests.security.hostile import snapshot
from tests.security.routes import ACTIONS, FORMS, PAGES, READS, World, examples, seed_plain

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OTHER_METHODS = ("get", "head", "put", "patch", "delete", "options")


def csrf_client(user: Any) -> tuple[Client, str]:
    """A client checking CSRF like production, logged in, with the token of a real page."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/admin/jobs/recurring/").content.decode()
    match = TOKEN.search(page)
    assert match, "the recurring page has forms with a CSRF token"
    return client, match.group(1)


def refusals(client: Client, token: str, basic: Client) -> list[tuple[str, Callable[..., Any]]]:
    """(name, send(url, data)) for every way a forged or unsafe request may come."""
    wrong = "x" * 64

    def post(c: Client, **extra: Any) -> Callable[..., Any]:
        return lambda url, data: c.post(url, data, **extra)

    def without_cookie(url: str, data: dict[str, Any]) -> Any:
        stripped = Client(enforce_csrf_checks=True)
        stripped.cookies["sessionid"] = client.cookies["sessionid"].value
        return stripped.post(url, {**data, "csrfmiddlewaretoken": token})

    ways: list[tuple[str, Callable[..., Any]]] = [
        ("no token", lambda url, data: client.post(url, data)),
        ("wrong token", lambda url, data: client.post(url, {**data, "csrfmiddlewaretoken": wrong})),
        ("wrong header", post(client, HTTP_X_CSRFTOKEN=wrong)),
        ("token without its cookie", without_cookie),
        (
            "right token, other origin",
            lambda url, data: client.post(
                url, {**data, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example"
            ),
        ),
        ("basic auth, no token", lambda url, data: basic.post(url, data)),
    ]
    for method in OTHER_METHODS:
        ways.append(
            (
                method.upper(),
                lambda url, data, m=method: getattr(client, m)(f"{url}?{urlencode(data, True)}"),
            )
        )
    return ways


def test_every_action_needs_a_post_with_the_csrf_token(
    staff: Any,
    redis_client: redis.Redis,
    settings: Any,
    basic_auth: tuple[str, str],
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    client, token = csrf_client(staff)
    basic = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=basic_header(*basic_auth))
    refused = controls = 0
    statuses: dict[int, int] = {}
    for route in ACTIONS:
        redis_client.flushdb()
        count = len(FORMS[route.name](seed_plain(redis_client, app_redis, settings)))
        for index in range(count):
            redis_client.flushdb()
            kwargs, data = FORMS[route.name](seed_plain(redis_client, app_redis, settings))[index]
            url = route.url(**kwargs)
            before = snapshot(redis_client)
            for name, send in refusals(client, token, basic):
                response = send(url, data)
                assert response.status_code in (403, 405), (route.name, name, response.status_code)
                assert all(response.get(h) == v for h, v in HEADERS.items()), (route.name, name)
                assert snapshot(redis_client) == before, f"{route.name}: {name} changed Redis"
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                refused += 1
            # The control: the same request, done properly, does change Redis.
            response = client.post(url, {**data, "csrfmiddlewaretoken": token})
            assert response.status_code == 302, (route.name, data)
            assert snapshot(redis_client) != before, f"{route.name}: the control changed nothing"
            controls += 1
    figures(
        "csrf and methods, every action",
        actions=len(ACTIONS),
        forms=controls,
        forged_or_unsafe=refused,
        refused_403=statuses.get(403, 0),
        refused_405=statuses.get(405, 0),
        changed_redis=0,
        controls_changed_redis=controls,
    )


def test_pages_change_nothing_whatever_the_method(
    staff: Any, plain: World, redis_client: redis.Redis, figures: Reporter, app_redis: redis.Redis
) -> None:
    client, token = csrf_client(staff)
    before = snapshot(redis_client)
    requests = 0
    action_like = {"action": "delete", "scope": "all", "signal": "stop", "identity": "*",
                   "queue": "default", "name": "on", "key": "1.5-abc"}  # fmt: skip
    for route in PAGES:
        for kwargs in examples(route, app_redis)[:3]:
            url = route.url(**kwargs)
            params = {**action_like, **dict.fromkeys(READS[route.name], "1")}
            for method in ("get", "head"):
                assert getattr(client, method)(url, params).status_code in (200, 404)
                requests += 1
            for method in ("post", "put", "patch", "delete"):
                data = {**action_like, "csrfmiddlewaretoken": token}
                response = getattr(client, method)(url, data, HTTP_X_CSRFTOKEN=token)
                assert response.status_code == 405, (url, method)
                requests += 1
    assert snapshot(redis_client) == before
    figures("pages never act", pages=len(PAGES), requests=requests, changed_redis=0)


def test_the_check_holds_in_a_project_without_the_csrf_middleware(
    staff: Any, redis_client: redis.Redis, settings: Any, figures: Reporter, app_redis: redis.Redis
) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("CsrfViewMiddleware")]
    client, token = csrf_client(staff)  # the dashboard sets the cookie itself
    refused = 0
    for route in ACTIONS:
        redis_client.flushdb()
        kwargs, data = FORMS[route.name](seed_plain(redis_client, app_redis, settings))[0]
        before = snapshot(redis_client)
        response = client.post(route.url(**kwargs), data)
        assert response.status_code == 403, route.name
        assert snapshot(redis_client) == before
        refused += 1
        response = client.post(route.url(**kwargs), {**data, "csrfmiddlewaretoken": token})
        assert response.status_code == 302, route.name
        assert snapshot(redis_client) != before
    figures("csrf without the middleware", actions=len(ACTIONS), refused=refused)
