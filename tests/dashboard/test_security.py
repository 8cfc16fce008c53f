"""Security headers on every response, and escaping of hostile values on every page."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis
from django.test import Client

from jobs.api import SortedJobSet
from jobs.dashboard.security import HEADERS
from jobs.recurring import api, store
from tests.dashboard.routes import routes
from tests.dashboard.seed import XSS, add, failed, job, process, push

ROUTES = routes()


def assert_secure(response) -> None:  # type: ignore[no-untyped-def]
    for name, value in HEADERS.items():
        assert response[name] == value, name
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_headers_on_every_response_refusals_included(
    route, client: Client, staff_client: Client
) -> None:  # type: ignore[no-untyped-def]
    assert_secure(client.get(route.url))  # 302 to login
    assert_secure(staff_client.get(route.url))  # 200, 404 or 405


def seed_hostile(r: redis.Redis) -> None:
    """XSS payloads in args, errors, queue names, class names and jids, everywhere."""
    now = time.time()
    for i, evil in enumerate(XSS):
        payload = failed(
            **{
                "class": evil,
                "jid": evil,
                "queue": evil,
                "args": [evil, {"note": evil}],
                "error_class": evil,
                "error_message": evil,
                "error_backtrace": [evil],
                "tags": [evil],
                "wrapped": evil,
            }
        )
        push(r, evil, payload)
        for key in ("schedule", "retry", "dead"):
            add(r, key, payload, now + i)
        process(r, f"{evil}:{i}:aaaaaaaaaaaa", busy=1, running=[payload], tag=evil, hostname=evil,
                queues=[evil], labels=[evil])  # fmt: skip
        add(r, "dead", evil, now + 10 + i)  # not even JSON
    r.zadd("retry", {json.dumps(job(args=XSS)): now})


def seed_hostile_schedule(settings: Any, r: redis.Redis) -> None:
    """Recurring entries named, described and failing with XSS payloads, and their state."""
    evil, other = XSS
    record = "tests.testapp.jobs.RecordJob"
    settings.JOBS = {
        **settings.JOBS,
        "SCHEDULE": {
            evil: {"every": "1m", "class": record, "description": other, "queue": evil},
            other: {"cron": "0 0 * * *", "class": record, "description": evil},
            "invalid": {"every": evil, "class": other, "tz": evil, "queue": other, "args": [evil]},
        },
    }
    api.enqueue_now(evil, r)
    api.set_enabled(other, False, r)
    r.hset(store.state_key(other), mapping={"jid": evil, "status": other, "enqueued_at": 1.0})
    r.hset(store.state_key("invalid"), mapping={"jid": other, "status": "dead", "enqueued_at": 1})


def hostile_urls(r: redis.Redis) -> list[str]:
    urls = ["/admin/jobs/", "/admin/jobs/busy/", "/admin/jobs/queues/", "/admin/jobs/recurring/",
            "/admin/jobs/stats.json", "/admin/jobs/metrics"]  # fmt: skip
    from django.urls import reverse

    for evil in XSS:
        urls.append(reverse("jobs:queue", args=[evil]))
        urls.append(reverse("jobs:queue", args=[evil]) + "?q=" + evil)
    for slug, key in (("scheduled", "schedule"), ("retries", "retry"), ("dead", "dead")):
        urls.append(f"/admin/jobs/{slug}/")
        urls.append(f"/admin/jobs/{slug}/?q=" + XSS[0])
        for record in SortedJobSet(r, key).page(0, 100, True).records:
            urls.append(reverse("jobs:job", args=[slug, record.key]))
    return urls


def test_hostile_values_are_escaped_everywhere(
    staff_client: Client, r: redis.Redis, settings: Any
) -> None:
    seed_hostile(r)
    seed_hostile_schedule(settings, r)
    urls = hostile_urls(r)
    assert len(urls) > 20
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_secure(response)
        if not response["Content-Type"].startswith("text/html"):
            # JSON and Prometheus text carry the values in their own escaping; a browser
            # never renders them as HTML (exact type + nosniff).
            assert response["Content-Type"].split(";")[0] in ("application/json", "text/plain")
            continue
        for evil in XSS:
            assert evil not in body, url
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url
        assert "<script>" not in body  # only <script src=...> tags, never inline code


def test_hostile_pages_show_the_escaped_text(staff_client: Client, r: redis.Redis) -> None:
    seed_hostile(r)
    body = staff_client.get("/admin/jobs/retries/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
