"""End to end in headless Debian chromium: log in, retry a job a real worker then runs,
bulk actions, and screenshots (desktop, phone, dark). Hostile data in the browser, on
every route, is tests/security/test_browser.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.dashboard.scenery import RECURRING_SCHEDULE, seed_realistic, seed_recurring
from tests.dashboard.seed import add, failed
from tests.helpers import ROOT, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = ROOT / "test-output" / "screenshots"
PAGES = {
    "dashboard": "/admin/jobs/?interval=1",
    "busy": "/admin/jobs/busy/",
    "queues": "/admin/jobs/queues/",
    "queue": "/admin/jobs/queues/mailers",
    "scheduled": "/admin/jobs/scheduled/",
    "retries": "/admin/jobs/retries/",
    "dead": "/admin/jobs/dead/",
    "recurring": "/admin/jobs/recurring/",
    "admin-index": "/admin/",
}


# The screens every browser test shoots: a laptop, a phone, and the laptop in dark mode.
DESKTOP: dict[str, Any] = {"viewport": {"width": 1440, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "device_scale_factor": 2,
}
DARK: dict[str, Any] = {**DESKTOP, "color_scheme": "dark"}


def page_errors(page: Page) -> list[str]:
    """The JavaScript and console errors `page` reports from now on (a missing favicon aside)."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "favicon" not in message.location["url"]:
            errors.append(message.text)

    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", on_console)
    return errors


def shot(page: Page, name: str, full_page: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def logged_in_context(browser: Browser, base_url: str, user: Any, **options: Any) -> BrowserContext:
    """A browser context carrying a session of `user` (no login form needed)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(**options)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )
    return context


@pytest.fixture
def watched(page: Page) -> dict[str, list[str]]:
    """Dialogs (auto-dismissed) and CSP violations seen by `page`."""
    seen: dict[str, list[str]] = {"dialogs": [], "csp": []}

    def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen["csp"].append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    return seen


def test_log_in_retry_a_failed_job_and_watch_it_run(
    page: Page, live_server: Any, superuser: Any, redis_client: redis.Redis, start_worker: Any,
    watched: dict[str, list[str]],
) -> None:  # fmt: skip
    payload = failed(**{"class": "tests.testapp.jobs.RecordJob", "args": ["from the browser"],
                        "error_class": "RuntimeError", "error_message": "flaky network"})  # fmt: skip
    add(redis_client, "retry", payload, time.time() + 3600)  # not due: only the click can run it
    worker = start_worker("-c", "2")
    worker.wait_ready()

    page.goto(live_server.url + "/admin/jobs/retries/")
    expect(page).to_have_url(f"{live_server.url}/admin/login/?next=/admin/jobs/retries/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    expect(page).to_have_url(live_server.url + "/admin/jobs/retries/")
    expect(page.locator('.jobs-nav [data-stat="retries"]')).to_have_text("1")
    expect(page.get_by_text("flaky network")).to_be_visible()
    shot(page, "flow-1-retries-before")

    page.locator("td.jobs-row-actions button", has_text="Retry now").click()
    expect(page.locator(".messagelist")).to_contain_text("1 job sent to its queue.")
    expect(page.locator('.jobs-nav [data-stat="retries"]')).to_have_text("0")
    expect(page.locator(".jobs-empty")).to_contain_text("No retries pending")
    assert redis_client.zcard("retry") == 0

    wait_for(
        lambda: payload["jid"].encode() in redis_client.lrange("ledger:runs", 0, -1),
        20,
        what="the job to run",
    )
    page.goto(live_server.url + "/admin/jobs/?interval=1")
    expect(page.locator('.jobs-card [data-stat="processed"]')).to_have_text(
        "1", timeout=15_000
    )  # live, no reload
    expect(page.locator('.jobs-card [data-stat="processes"]')).to_have_text("1")
    shot(page, "flow-2-dashboard-after")
    assert watched["dialogs"] == []
    assert watched["csp"] == []


@pytest.mark.parametrize(
    ("mode", "options"),
    [("desktop", DESKTOP), ("phone", PHONE), ("dark", DARK)],
)
def test_screenshots_of_every_page(
    browser: Browser,
    live_server: Any,
    superuser: Any,
    redis_client: redis.Redis,
    mode: str,
    options: dict[str, Any],
    settings: Any,
) -> None:
    seed_realistic(redis_client)
    settings.JOBS = {**settings.JOBS, "SCHEDULE": RECURRING_SCHEDULE}
    seed_recurring(redis_client)
    context = logged_in_context(browser, live_server.url, superuser, **options)
    page = context.new_page()
    errors = page_errors(page)
    try:
        for name, url in PAGES.items():
            page.goto(live_server.url + url)
            if name == "dashboard":
                redis_client.incrby("stat:processed", 40)
                page.wait_for_timeout(1200)
                redis_client.incrby("stat:processed", 25)
                redis_client.incrby("stat:failed", 3)
                page.wait_for_selector("#live-graph svg", timeout=5000)
                page.wait_for_selector("#history-graph svg", timeout=5000)
                page.wait_for_timeout(1200)
            shot(page, f"{mode}-{name}", full_page=mode != "phone")
        page.goto(live_server.url + "/admin/jobs/retries/")
        page.get_by_text("myapp.jobs.MoodSenderJob").first.click()
        expect(page.get_by_role("heading", name="Traceback")).to_be_visible()
        shot(page, f"{mode}-job-detail", full_page=mode != "phone")
    finally:
        context.close()
    assert errors == []


def test_bulk_actions_ask_first_and_selection_enables_buttons(
    browser: Browser, live_server: Any, superuser: Any, redis_client: redis.Redis
) -> None:
    for i in range(3):
        add(redis_client, "dead", failed(args=[i]), time.time() - i)
    context = logged_in_context(browser, live_server.url, superuser)
    page = context.new_page()
    answers = iter([False, True])
    asked: list[str] = []

    def on_dialog(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        page.goto(live_server.url + "/admin/jobs/dead/")
        selected_delete = page.locator("#selected-form button", has_text="Delete")
        expect(selected_delete).to_be_disabled()
        page.locator('input[name="key"]').first.check()
        expect(page.locator("[data-selected-count]")).to_have_text("1")
        expect(selected_delete).to_be_enabled()
        page.locator("[data-select-all]").check()
        expect(page.locator("[data-selected-count]")).to_have_text("3")

        delete_all = page.locator(
            'form:has(input[name="scope"][value="all"]) button', has_text="Delete"
        )
        delete_all.click()  # dismissed: nothing happens
        page.wait_for_timeout(300)
        assert redis_client.zcard("dead") == 3
        delete_all.click()  # accepted
        expect(page.locator(".messagelist")).to_contain_text("3 jobs deleted.")
        assert redis_client.zcard("dead") == 0
        assert asked == ["Delete every job in Dead? This cannot be undone."] * 2
        shot(page, "flow-3-dead-after-delete-all")
    finally:
        context.close()
