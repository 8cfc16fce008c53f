"""The Metrics page and the grouped Retries page in headless chromium, with screenshots."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis
from playwright.sync_api import Browser, expect

from jobs.metrics import Tracker, flush_commands
from tests.dashboard.seed import failed
from tests.dashboard.test_browser import DARK, DESKTOP, PHONE, logged_in_context, page_errors, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# (class, seconds per run, runs per minute, one failure in every N)
CLASSES = [
    ("myapp.jobs.MoodSenderJob", 0.012, 40, 25),
    ("myapp.mailers.MoodMailer.mood", 0.180, 12, 0),
    ("myapp.jobs.NightlyReportJob", 4.2, 1, 3),
    ("myapp.jobs.ImportCsvJob", 0.640, 5, 8),
]
ERRORS = [
    ("ConnectionError", "connect to 10.0.{i}.7:5432 failed after {i}03 ms", 23),
    ("smtplib.SMTPRecipientsRefused", "{{'user{i}@example.com': (550, b'no such user')}}", 9),
    ("KeyError", "'order-{i}'", 4),
    ("TimeoutError", "job ran longer than its timeout of 30 s", 2),
]


def seed_metrics(r: redis.Redis, now: float) -> None:
    for minute in range(60):
        tracker = Tracker()
        for name, seconds, per_minute, fail_every in CLASSES:
            runs = per_minute + (minute * 7) % (per_minute + 1)
            for n in range(runs):
                failing = bool(fail_every) and (n + minute) % fail_every == 0
                tracker.record(name, seconds * (1 + (n % 5) / 4), failed=failing)
        pipe = r.pipeline(transaction=True)
        flush_commands(pipe, tracker.take(), now - 60 * minute)
        pipe.execute()


def seed_failures(r: redis.Redis, now: float) -> None:
    for error_class, message, count in ERRORS:
        for i in range(count):
            payload = failed(
                **{"class": "myapp.jobs.MoodSenderJob", "args": [i]},
                error_class=error_class,
                error_message=message.format(i=i),
                failed_at=now - 4000 * i,
                retry_count=i % 4,
            )
            r.zadd("retry", {json.dumps(payload): now + 60 * (i + 1)})


def test_metrics_and_grouped_retries_at_desktop_width(
    browser: Browser, live_server: Any, superuser: Any, redis_client: redis.Redis
) -> None:
    now = time.time()
    seed_metrics(redis_client, now)
    seed_failures(redis_client, now)
    context = logged_in_context(browser, live_server.url, superuser, **DESKTOP)
    page = context.new_page()
    problems = page_errors(page)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        page.goto(live_server.url + "/admin/jobs/job-metrics/")
        rows = page.locator("table.jobs-metrics tbody tr")
        expect(rows).to_have_count(4)
        expect(rows.first).to_contain_text("MoodSenderJob")
        expect(page.locator("svg.jobs-spark").first).to_be_visible()
        shot(page, "desktop-metrics")
        page.goto(live_server.url + "/admin/jobs/retries/")
        page.get_by_role("link", name="Group by error").click()
        groups = page.locator("table.jobs-groups tbody tr")
        expect(groups).to_have_count(4)
        expect(groups.first).to_contain_text("connect to <ip> failed after <n> ms")
        shot(page, "desktop-retries-grouped")
        groups.nth(2).get_by_role("button", name="Delete all").click()
        expect(page.locator(".messagelist")).to_contain_text("4 jobs deleted.")
        expect(page.locator("table.jobs-groups tbody tr")).to_have_count(3)
        assert redis_client.zcard("retry") == 23 + 9 + 2
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize(("mode", "options"), [("phone", PHONE), ("dark", DARK)])
def test_metrics_and_grouped_retries_on_a_phone_and_in_the_dark(
    browser: Browser,
    live_server: Any,
    superuser: Any,
    redis_client: redis.Redis,
    mode: str,
    options: dict[str, Any],
) -> None:
    now = time.time()
    seed_metrics(redis_client, now)
    seed_failures(redis_client, now)
    context = logged_in_context(browser, live_server.url, superuser, **options)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/admin/jobs/job-metrics/?hours=24")
        expect(page.locator("table.jobs-metrics tbody tr")).to_have_count(4)
        shot(page, f"{mode}-metrics", full_page=mode != "phone")
        page.goto(live_server.url + "/admin/jobs/retries/groups/")
        expect(page.locator("table.jobs-groups tbody tr")).to_have_count(4)
        shot(page, f"{mode}-retries-grouped", full_page=mode != "phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= options["viewport"]["width"] + 1  # nothing wider than the screen
    finally:
        context.close()
