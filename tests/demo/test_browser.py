"""The Daily Mood demo end to end in headless Debian chromium, with a real worker: the form,
then a thanks page that follows the job until it says the email is sent."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from playwright.sync_api import Page, expect

from project.mood import progress
from tests.conftest import WorkerFactory
from tests.dashboard.test_browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_from_the_form_to_a_thanks_page_that_shows_the_job_done(
    page: Page, live_server: Any, redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    page.goto(live_server.url + "/")
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert icon
    assert page.request.get(live_server.url + icon).ok

    page.get_by_label("Your email").fill("newcomer@example.com")
    page.get_by_text("Happy", exact=True).click()
    shot(page, "demo-form", full_page=False)
    page.get_by_role("button", name="Send my mood").click()

    expect(page.get_by_role("heading")).to_have_text("Thanks, it's on its way!")
    state = page.locator("#job-state")
    expect(state).to_have_text(progress.WORDS["queued"])  # no worker yet: it waits
    [raw] = redis_client.lrange("queue:mailers", 0, -1)
    assert b"newcomer@example.com" in raw

    # As under bin/dev (DEBUG): the worker prints the email instead of sending it by SMTP.
    console = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    worker = start_worker("-c", "2", "-q", "mailers", env=console)
    # The page polls state.json every second: running (the mailer takes 2 s), then done.
    expect(state).to_have_text(progress.WORDS["done"], timeout=60_000)
    expect(state).to_have_class("job-state state-done")
    shot(page, "demo-thanks-done", full_page=False)
    assert "Subject: Your mood today: happy" in worker.log()
    assert "To: newcomer@example.com" in worker.log()
    assert worker.stop() == 0


@pytest.mark.usefixtures("redis_down")
def test_with_redis_down_the_form_says_so_in_the_browser(page: Page, live_server: Any) -> None:
    page.goto(live_server.url + "/")
    page.get_by_label("Your email").fill("newcomer@example.com")
    page.get_by_text("Sad", exact=True).click()
    page.get_by_role("button", name="Send my mood").click()
    expect(page.get_by_role("alert")).to_contain_text("we cannot queue your email right now")
    expect(page.get_by_label("Your email")).to_have_value("newcomer@example.com")
