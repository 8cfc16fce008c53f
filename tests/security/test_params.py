"""Query parameters and form fields: hostile values are escaped or refused, numbers clamped.

1. Reflected: every parameter a page reads (READS), plus names it does not know and
   hostile names, given every payload: never echoed raw, never evaluated; the answer
   is the page (200), a refusal (400/404) or a redirect to a dashboard URL.
2. Where actions send the browser (`next`): only back into the dashboard, whatever is
   posted (other hosts, scheme tricks, header injection, path climbing).
3. Numbers: huge, negative, fractional, non-numeric, full-width, 100,000-digit values
   of every numeric parameter, job keys with absurd scores, and thousands of keys in
   one POST: clamped or refused, with the worst response time printed (asserted only
   against a generous bound that a loaded CI machine still meets).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import redis
from django.test import Client

from tests.dashboard.seed import failed, job
from tests.figures import Profile, Reporter
from tests.security.hostile import PAYLOADS, response_problems
from tests.security.routes import (
    ACTIONS,
    FORMS,
    NUMERIC,
    PAGES,
    READS,
    World,
    examples,
    seed_plain,
)

UNKNOWN = ["zz", "next", "<script>alert('pwn')</script>", '"><b id=pwn-key>', "q\x00"]
FINE = (200, 400, 404)


def page_urls(app: redis.Redis, each: int = 2) -> list[tuple[str, str]]:
    """(route name, URL) of the pages, `each` URLs per route with arguments."""
    return [
        (route.name, route.url(**kwargs))
        for route in PAGES
        for kwargs in examples(route, app)[:each]
    ]  # fmt: skip


def seed_rows(r: redis.Redis, count: int) -> None:
    """Enough rows for a pagination bar, whose links echo the query string."""
    now = time.time()
    pipe = r.pipeline(transaction=False)
    for key in ("schedule", "retry", "dead"):
        pipe.zadd(key, {json.dumps(failed(args=[i])): now + i for i in range(count)})
    pipe.sadd("queues", "default")
    pipe.lpush("queue:default", *(json.dumps(job(args=[i])) for i in range(count)))
    pipe.execute()


def check(response: Any, r: redis.Redis, where: str) -> list[str]:
    if response.status_code in (301, 302):
        location = response["Location"]
        raw = [p for p in PAYLOADS if p in location]
        return [f"{where}: redirect to {location[:60]!r}"] if raw else []
    if response.status_code not in FINE:
        return [f"{where}: status {response.status_code}"]
    return [f"{where}: {problem}" for problem in response_problems(response, r)]


def test_hostile_query_parameters_are_escaped_or_refused(
    staff_client: Client,
    plain: World,
    redis_client: redis.Redis,
    profile: Profile,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    seed_rows(redis_client, 60)
    found: list[str] = []
    requests = 0
    for name, url in page_urls(app_redis):
        params = [*READS[name], *UNKNOWN]
        # Every payload in every parameter at once; and each parameter alone (long: with
        # every payload, short: with the payloads joined into one value).
        queries: list[dict[str, str]] = [dict.fromkeys(params, evil) for evil in PAYLOADS]
        if profile.long:
            queries += [{param: evil} for param in params for evil in PAYLOADS]
        else:
            queries += [{param: "".join(PAYLOADS)} for param in params]
        for query in queries:
            response = staff_client.get(url, query)
            requests += 1
            found += check(response, redis_client, f"{url}?{sorted(query)}")
    assert not found, found[:20]
    figures(
        "reflected query parameters",
        pages=len(page_urls(app_redis)),
        parameters=sum(len(READS[route.name]) for route in PAGES),
        unknown_names=len(UNKNOWN),
        payloads=len(PAYLOADS),
        requests=requests,
        raw_echoes=len(found),
    )


def test_a_huge_query_string_is_not_repeated(
    staff_client: Client,
    plain: World,
    redis_client: redis.Redis,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    """Links and forms carry the page's own parameters as used, not the raw query string."""
    seed_rows(redis_client, 60)  # pagination bars and a form on every row
    worst = 0.0
    for name, url in page_urls(app_redis):
        junk = {param: "9" * 20_000 for param in [*READS[name], "zz"]}
        size = len(urlencode(junk))
        base = len(staff_client.get(url).content)
        hostile = len(staff_client.get(url, junk).content)
        worst = max(worst, (hostile - base) / size)
    assert worst < 1, f"{worst:.1f} bytes out per byte of query string"
    figures("huge query string", pages=len(page_urls(app_redis)),
            extra_bytes_out_per_byte_in=round(worst, 3))  # fmt: skip


HOSTILE_NEXT = [
    "https://evil.example/admin/jobs/",
    "//evil.example/admin/jobs/",
    "/\\evil.example/admin/jobs/",
    "\\\\evil.example/admin/jobs/",
    "javascript:alert('pwn')//admin/jobs/",
    " javascript:alert('pwn')",
    "/admin/jobs/\r\nSet-Cookie: pwn=1",
    "/admin/jobs/%0d%0aSet-Cookie:%20pwn=1",
    "/admin/jobs/../../admin/logout/",
    "/admin/jobs/%2e%2e/%2e%2e/evil",
    "/admin/jobs/<script>alert('pwn')</script>",
    "http://testserver@evil.example/admin/jobs/",
    "/admin/login/?next=/admin/jobs/",
    "\x00/admin/jobs/",
]


def test_actions_only_send_the_browser_back_into_the_dashboard(
    staff_client: Client,
    redis_client: redis.Redis,
    settings: Any,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    posts = 0
    bad: list[str] = []
    for route in ACTIONS:
        for target in HOSTILE_NEXT:
            redis_client.flushdb()
            world = seed_plain(redis_client, app_redis, settings)
            kwargs, data = FORMS[route.name](world)[0]
            response = staff_client.post(route.url(**kwargs), {**data, "next": target})
            posts += 1
            assert response.status_code == 302, (route.name, target)
            location = response["Location"]
            parts = urlsplit(location)
            if (
                parts.scheme
                or parts.netloc
                or not parts.path.startswith("/admin/jobs/")
                or "/../" in parts.path
                or any(ord(c) < 0x21 for c in location)
                or (set('<>"') & set(location))
                or "%2e%2e" in location.lower()
            ):
                bad.append(f"{route.name}: next={target!r} -> {location!r}")
    assert not bad, bad
    figures("action redirects (next=)", actions=len(ACTIONS), targets=len(HOSTILE_NEXT),
            posts=posts, left_the_dashboard=len(bad))  # fmt: skip


NUMBERS = [
    "-1",
    "0",
    "-0",
    "1e309",
    "-1e309",
    "99999999999999999999999999",
    "-99999999999999999999",
    "18446744073709551617",
    "NaN",
    "inf",
    "-inf",
    "0x7fffffff",
    "1_000_000_000",
    "\uff11\uff12",  # full-width 12
    "\u0661\u0662",  # Arabic-Indic 12
    "  7 ",
    "3.7",
    "",
    "abc",
    "1;DROP TABLE",
    "2**64",
    "9" * 100_000,
]
HOSTILE_SCORES = [
    "1e309",
    "-1e309",
    "inf",
    "nan",
    "NaN",
    "1e-400",
    "-0",
    "1_5",
    "9" * 150,
    "0x1p3",
    "...",
    "+-1",
]
FAST_ENOUGH = 2.0  # seconds: generous; the figures print the real worst time


def clamped(response: Any, name: str) -> list[str]:
    """Ranges a page's numbers must be in, whatever was asked."""
    if response.status_code != 200:
        return []
    if response["Content-Type"] == "application/json":
        history = response.json().get("history", {"days": 1, "dates": [""]})
        days = history["days"]
        return [] if 1 <= days <= 365 and len(history["dates"]) == days else [f"days {days}"]
    if response.context is None:
        return []
    context = response.context
    problems = []
    pager = context.get("pager")
    if pager is not None:
        if not 1 <= pager.per_page <= 500:
            problems.append(f"{name}: per_page {pager.per_page}")
        if not 1 <= pager.page <= 1_000_000:
            problems.append(f"{name}: page {pager.page}")
    for key, low, high in (("interval", 1, 60), ("days", 1, 365)):
        value = context.get(key)
        if isinstance(value, int) and not low <= value <= high:
            problems.append(f"{name}: {key} {value}")
    return problems


def test_hostile_numbers_are_clamped_or_refused_fast(
    staff_client: Client,
    plain: World,
    redis_client: redis.Redis,
    profile: Profile,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    rows = profile.pick(150, 5000)
    seed_rows(redis_client, rows)
    timings: list[tuple[float, str]] = []
    problems: list[str] = []

    def timed(method: Any, url: str, *args: Any) -> Any:
        began = time.perf_counter()
        response = method(url, *args)
        timings.append((time.perf_counter() - began, url[:80]))
        return response

    # The slowest page a legitimate request can ask for: the biggest page size allowed,
    # timed before and after the hostile requests (load changes during the test).
    largest: list[float] = []

    def time_largest() -> None:
        for name, url in page_urls(app_redis, profile.pick(1, 2)):
            if "per_page" in READS[name]:
                began = time.perf_counter()
                assert staff_client.get(url, {"per_page": 500}).status_code == 200
                largest.append(time.perf_counter() - began)

    time_largest()
    for name, url in page_urls(app_redis, profile.pick(1, 2)):
        numeric = [param for param in READS[name] if param in NUMERIC]
        for param in numeric:
            for value in NUMBERS:
                response = timed(staff_client.get, f"{url}?{urlencode({param: value})}")
                assert response.status_code in FINE, (url, param, value[:20])
                problems += clamped(response, name)
        if numeric:  # every number at once: the largest page of the largest size
            response = timed(staff_client.get, url, dict.fromkeys(numeric, "9" * 30))
            assert response.status_code in FINE
            problems += clamped(response, name)
    for slug in ("scheduled", "retries", "dead"):
        for score in HOSTILE_SCORES:
            response = timed(staff_client.get, f"/admin/jobs/{slug}/{score}-abc")
            assert response.status_code == 404, score[:20]
        keys = [f"{score}-abc" for score in HOSTILE_SCORES] * 80  # 960 keys
        response = timed(
            staff_client.post, f"/admin/jobs/actions/{slug}/", {"action": "delete", "key": keys}
        )
        assert response.status_code in (302, 400), response.status_code
    too_many = {"action": "enqueue", "key": [f"{i}.5-abc" for i in range(5000)]}
    response = timed(staff_client.post, "/admin/jobs/actions/dead/", too_many)
    assert response.status_code == 400  # DATA_UPLOAD_MAX_NUMBER_FIELDS
    time_largest()
    worst, where = max(timings)
    assert not problems, problems[:10]
    # Clamped means no slower than the largest page anyone may ask for; the bound is wide
    # (load slows both alike) and only catches work that grows with the number asked.
    bound = max(FAST_ENOUGH, 4 * max(largest))
    assert worst < bound, (worst, where, max(largest))
    ordered = sorted(seconds for seconds, _ in timings)
    figures(
        "hostile numbers",
        requests=len(timings),
        values=len(NUMBERS),
        scores=len(HOSTILE_SCORES),
        rows=rows,
        unclamped=len(problems),
        median_ms=round(ordered[len(ordered) // 2] * 1000, 1),
        worst_ms=round(worst * 1000, 1),
        worst_at=where,
        largest_legit_page_ms=round(max(largest) * 1000, 1),
    )
