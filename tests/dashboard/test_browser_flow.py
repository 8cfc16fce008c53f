"""Flow control in headless chromium: Pause and Resume on the Queues page, the Limits page."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from playwright.sync_api import Browser, expect

from jobs.limits import OverLimit, concurrent
from tests.dashboard.seed import job, push
from tests.dashboard.test_browser import logged_in_context, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_pause_and_resume_buttons_and_the_limits_page(
    browser: Browser,
    live_server: Any,
    superuser: Any,
    redis_client: redis.Redis,
    app_redis: redis.Redis,
) -> None:
    push(redis_client, "imports", job(queue="imports"))
    context = logged_in_context(browser, live_server.url, superuser)
    page = context.new_page()
    page.goto(live_server.url + "/admin/jobs/queues/")
    row = page.locator("tr", has_text="imports")
    row.get_by_role("button", name="Pause").click()
    expect(page.locator(".messagelist")).to_contain_text("Paused queue imports")
    expect(page.locator("tr", has_text="imports").locator(".jobs-paused")).to_be_visible()
    assert redis_client.smembers("jobs:paused") == {b"imports"}
    shot(page, "queues-paused")
    page.locator("tr", has_text="imports").get_by_role("button", name="Resume").click()
    expect(page.locator(".messagelist")).to_contain_text("Resumed queue imports")
    assert redis_client.smembers("jobs:paused") == set()

    limiter = concurrent("stripe", 1, client=app_redis)
    limiter.take()
    with pytest.raises(OverLimit):
        limiter.take()
    page.goto(live_server.url + "/admin/jobs/limits/")
    expect(page.locator(".jobs-nav a.active")).to_have_text("Limits")
    expect(page.locator("tr", has_text="stripe")).to_contain_text("1 / 1")
    shot(page, "limits")
    context.close()
