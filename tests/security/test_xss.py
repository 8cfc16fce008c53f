"""XSS, server side: hostile values in every field of Redis, on every route.

Every page URL there is for the seeded data (each queue, each job of each set) is
fetched, every action is posted hostile values and followed to the page that reports
it, and each HTML response is parsed: no raw payload, no injected element, event
handler, inline script, script URL or evaluated template. JSON must parse, and the
Prometheus text must keep its grammar (a queue name cannot add a metric line).
"""

from __future__ import annotations

import time
from typing import Any

import redis
from django.test import Client
from django.utils.html import escape

from tests.figures import Profile, Reporter
from tests.security.hostile import (
    HTML_SPECIAL,
    PAYLOADS,
    Seeded,
    html_problems,
    metrics_problems,
    response_problems,
    short_name,
)
from tests.security.routes import ACTIONS, LIST, PAGES, READS, Route, urls

ESCAPED = escape(PAYLOADS[0])


def test_every_page_escapes_every_value_redis_holds(
    staff_client: Client,
    hostile: Seeded,
    redis_client: redis.Redis,
    profile: Profile,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    searches = PAYLOADS if profile.long else PAYLOADS[:4]
    found: dict[str, list[str]] = {}
    checked = slowest = 0.0
    per_route: dict[str, int] = {}
    shown = 0  # pages showing the first payload as text: escaped, not dropped
    for route in PAGES:
        targets = urls(route, app_redis)
        if set(LIST) <= set(READS[route.name]):
            targets += [f"{url}?q={q}" for url in targets[:2] for q in searches]
        per_route[route.name] = len(targets)
        for url in targets:
            began = time.perf_counter()
            response = staff_client.get(url)
            slowest = max(slowest, time.perf_counter() - began)
            assert response.status_code in (200, 404), url
            if response.status_code == 404:
                assert route.name in ("job", "queue", "find"), url
            checked += 1
            shown += ESCAPED in response.content.decode("utf-8", "replace")
            if problems := response_problems(response, redis_client):
                found[url] = problems
    assert per_route["queue"] > 5
    assert per_route["job"] > 3 * len(PAYLOADS)
    assert not found, found
    assert shown > len(PAYLOADS)
    figures(
        "xss, every page",
        payloads=len(PAYLOADS),
        routes=len(PAGES),
        urls=int(checked),
        queues=len(hostile.queues),
        processes=len(hostile.identities),
        recurring_entries=len(hostile.entries),
        problems=len(found),
        shown_escaped=shown,
        slowest_ms=round(slowest * 1000),
    )


def hostile_forms(route: Route, evil: str) -> list[dict[str, Any]]:
    """Every field the action reads set to `evil`; then valid choices with `evil` elsewhere."""
    every = {name: evil for name in READS[route.name]}
    valid: dict[str, dict[str, Any]] = {
        "busy_signal": {"signal": "quiet"},
        "set_action": {"action": "delete", "scope": "all"},
    }
    forms = [every]
    if route.name in valid:
        forms.append({**every, **valid[route.name]})
    if route.name == "set_action":
        forms.append({**every, "action": "enqueue", "scope": "selected"})
    return forms


def test_every_action_escapes_what_it_reports(
    staff_client: Client,
    hostile: Seeded,
    redis_client: redis.Redis,
    profile: Profile,
    figures: Reporter,
) -> None:
    chosen = PAYLOADS if profile.long else [p for p in PAYLOADS if HTML_SPECIAL & set(p)][::3]
    found: dict[str, list[str]] = {}
    posts = 0
    for route in ACTIONS:
        for evil in chosen:
            for data in hostile_forms(route, evil):
                response = staff_client.post(route.url(), data, follow=True)
                posts += 1
                assert response.status_code == 200, (route.name, data)
                for url, status in response.redirect_chain:
                    assert status == 302, url
                    assert url.startswith("/admin/jobs/"), url
                if problems := response_problems(response, redis_client):
                    found[f"{route.name} {short_name(evil)}"] = problems
                messages = [str(m) for m in response.context["messages"]]
                assert messages, (route.name, data)  # it said something, and that was checked
    assert not found, found
    figures("xss, every action", actions=len(ACTIONS), posts=posts, problems=len(found))


def test_the_checks_see_what_they_look_for() -> None:
    """Each payload, unescaped, is caught; escaped, it passes; a label can break metrics."""
    for evil in PAYLOADS:
        if HTML_SPECIAL & set(evil):
            assert html_problems(f"<p>{evil}</p>"), short_name(evil)
        assert not html_problems(f"<p title='{escape(evil)}'>{escape(evil)}</p>"), evil
    injected = 'jobs_queue_size{queue="a"} 1\njobs_pwned 1\n'
    assert metrics_problems(injected, 0)
