"""Dense lists in headless Debian chromium: at least 20 job rows on a 1440x900 screen, the
stat cards on one row, names short with the module muted, and screenshots (desktop,
phone, dark) of the lists, looked at by a person."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.utils import translation
from playwright.sync_api import Browser, expect

from tests.dashboard.scenery import RECURRING_SCHEDULE, seed_lists, seed_realistic, seed_recurring
from tests.dashboard.seed import process
from tests.dashboard.test_browser import DARK, DESKTOP, PHONE, logged_in_context, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LISTS = {
    "retries": "/admin/jobs/retries/",
    "dead": "/admin/jobs/dead/",
    "scheduled": "/admin/jobs/scheduled/",
    "queue": "/admin/jobs/queues/default",
}
# Rows of the job table whose whole box is inside the window, without scrolling.
VISIBLE_ROWS = """() => Array.from(document.querySelectorAll(".jobs-table tbody tr")).filter((row) => {
  const box = row.getBoundingClientRect();
  return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
}).length"""

# The element is one line high and ends inside its cell (not cut by an ellipsis).
WHOLE_ON_ONE_LINE = """(e) => {
  const box = e.getBoundingClientRect(), cell = e.closest("td").getBoundingClientRect();
  const line = parseFloat(getComputedStyle(e).fontSize) * 1.6;
  return box.height <= line && box.right <= cell.right + 0.5 && e.scrollWidth <= e.clientWidth + 1;
}"""


def test_twenty_rows_fit_a_1440x900_screen_on_every_list(
    browser: Browser, live_server: Any, superuser: Any, redis_client: redis.Redis
) -> None:
    seed_lists(redis_client, 30)
    context = logged_in_context(browser, live_server.url, superuser, **DESKTOP)
    page = context.new_page()
    counts = {}
    try:
        for name, url in LISTS.items():
            page.goto(live_server.url + url)
            counts[name] = page.evaluate(VISIBLE_ROWS)
            shot(page, f"lists-desktop-{name}", full_page=False)
            heights = page.evaluate(
                "() => Array.from(document.querySelectorAll('.jobs-table tbody tr'))"
                ".map((row) => row.getBoundingClientRect().height)"
            )
            assert len(heights) == 25, name  # the default page size
            assert max(heights) < 2 * min(heights), (name, heights)  # one line per row
    finally:
        context.close()
    print(f"visible rows at 1440x900 [short]: {counts}")
    assert all(count >= 20 for count in counts.values()), counts


def test_names_are_short_with_the_module_muted_and_only_the_error_class_red(
    browser: Browser, live_server: Any, superuser: Any, redis_client: redis.Redis
) -> None:
    seed_lists(redis_client, 4)
    context = logged_in_context(browser, live_server.url, superuser, **DESKTOP)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/admin/jobs/retries/")
        classes = page.locator(".jobs-table .jobs-class").all_inner_texts()
        assert set(classes) == {"MoodSenderJob", "MoodMailer.mood", "rebuild_search_index",
                                "ChargeInvoiceJob"}  # fmt: skip
        module = page.locator(".jobs-table .jobs-module").first
        short = page.locator(".jobs-table .jobs-class").first
        assert module.evaluate("e => getComputedStyle(e).color") != short.evaluate(
            "e => getComputedStyle(e).color"
        )
        mail_row = page.locator("tr", has=page.locator(".jobs-class", has_text="MoodMailer.mood"))
        assert "[10, &quot;weekly&quot;]" in mail_row.inner_html()  # the mailer method's args
        error_cell = page.locator('td[data-label="Error"]').first
        red = error_cell.locator(".jobs-error").evaluate("e => getComputedStyle(e).color")
        rest = error_cell.evaluate("e => getComputedStyle(e.firstElementChild).color")
        assert error_cell.locator(".jobs-error").inner_text() in {
            "smtplib.SMTPServerDisconnected", "smtplib.SMTPRecipientsRefused",
            "django.db.utils.OperationalError", "stripe.error.CardError"}  # fmt: skip
        assert red != rest
        for jid in page.locator(".jobs-table .jobs-jid").all():
            assert jid.evaluate(WHOLE_ON_ONE_LINE), jid.inner_text()
    finally:
        context.close()


def test_stat_cards_share_one_row_at_1440(
    browser: Browser, live_server: Any, superuser: Any, redis_client: redis.Redis
) -> None:
    seed_realistic(redis_client)
    context = logged_in_context(browser, live_server.url, superuser, **DESKTOP)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/admin/jobs/")
        tops = page.evaluate(
            "() => Array.from(document.querySelectorAll('.jobs-card'))"
            ".map((card) => Math.round(card.getBoundingClientRect().top))"
        )
        assert len(tops) == 8
        assert len(set(tops)) == 1, tops
    finally:
        context.close()


@pytest.mark.parametrize(
    ("mode", "options"),
    [("phone", PHONE), ("dark", DARK)],
)
def test_list_screenshots_on_a_phone_and_in_the_dark(
    browser: Browser,
    live_server: Any,
    superuser: Any,
    redis_client: redis.Redis,
    mode: str,
    options: dict[str, Any],
) -> None:
    seed_lists(redis_client, 30)
    seed_realistic(redis_client)
    context = logged_in_context(browser, live_server.url, superuser, **options)
    page = context.new_page()
    try:
        for name, url in {**LISTS, "busy": "/admin/jobs/busy/", "index": "/admin/jobs/"}.items():
            page.goto(live_server.url + url)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= options["viewport"]["width"] + 1, (name, width)  # no sideways scroll
            shot(page, f"lists-{mode}-{name}", full_page=False)
    finally:
        context.close()


# Every stat card's label shows whole (on two lines at most), none cut by an ellipsis.
WHOLE_LABELS = """() => Array.from(document.querySelectorAll(".jobs-card-label")).every((e) =>
  e.scrollWidth <= e.clientWidth + 1
    && e.getBoundingClientRect().height <= 3.2 * parseFloat(getComputedStyle(e).fontSize))"""
# The words the Recurring page gives the "0 9 * * 1-5" entry of RECURRING_SCHEDULE.
SCHEDULE_WORDS = {
    "de": "jeden Montag bis Freitag um 09:00",
    "fr": "chaque lundi au vendredi à 09:00",
}


@pytest.mark.parametrize(("language", "title"), [("de", "Wiederholungen"), ("fr", "Tentatives")])
def test_lists_in_the_projects_language(
    browser: Browser,
    live_server: Any,
    superuser: Any,
    redis_client: redis.Redis,
    settings: Any,
    language: str,
    title: str,
) -> None:
    settings.LANGUAGE_CODE = language  # the live server's middleware is already loaded
    settings.JOBS = {**settings.JOBS, "SCHEDULE": RECURRING_SCHEDULE}
    seed_lists(redis_client, 30)
    seed_realistic(redis_client)
    seed_recurring(redis_client)
    context = logged_in_context(browser, live_server.url, superuser, locale=language, **DESKTOP)
    page = context.new_page()
    try:
        for name, url in {"retries": "/admin/jobs/retries/", "busy": "/admin/jobs/busy/",
                          "index": "/admin/jobs/", "recurring": "/admin/jobs/recurring/"
                          }.items():  # fmt: skip
            page.goto(live_server.url + url)
            assert page.evaluate("() => document.documentElement.lang") == language
            shot(page, f"lists-{language}-{name}", full_page=False)
        expect(page.locator("body")).to_contain_text(SCHEDULE_WORDS[language])
        page.goto(live_server.url + "/admin/jobs/")
        assert page.evaluate(WHOLE_LABELS), "a stat card's label is cut"
        page.goto(live_server.url + "/admin/jobs/retries/")
        assert page.locator("h1").inner_text() == title
        assert page.evaluate(VISIBLE_ROWS) >= 20  # longer words, same density
    finally:
        context.close()
        translation.deactivate()


def test_live_numbers_follow_the_pages_language_not_the_browsers(
    browser: Browser, live_server: Any, superuser: Any, redis_client: redis.Redis, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "de"
    redis_client.set("stat:processed", 12)
    context = logged_in_context(browser, live_server.url, superuser, locale="en-US", **DESKTOP)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/admin/jobs/?interval=1")
        card = page.locator('.jobs-card [data-stat="processed"]')
        expect(card).to_have_text("12")
        redis_client.set("stat:processed", 1234567)
        expect(card).to_have_text("1.234.567", timeout=15_000)  # the page's script, no reload
    finally:
        context.close()
        translation.deactivate()


def test_busy_reloads_itself_until_a_quiet_shows(
    browser: Browser, live_server: Any, superuser: Any, redis_client: redis.Redis
) -> None:
    identity = process(redis_client)
    context = logged_in_context(browser, live_server.url, superuser, **DESKTOP)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/admin/jobs/busy/")
        page.locator("td.jobs-row-actions button", has_text="Quiet").click()
        state = page.locator("tr[data-process-state]")
        expect(state).to_have_attribute("data-process-state", "quiet")  # the signal is on its way
        expect(page.locator("#jobs-root")).to_have_attribute("data-refresh", "3")
        redis_client.delete(f"{identity}-signals")  # what the worker's next beat does
        redis_client.hset(identity, "quiet", "true")
        expect(page.locator("#jobs-root")).not_to_have_attribute(
            "data-refresh", "3", timeout=10_000
        )
        expect(state).to_have_attribute("data-process-state", "quiet")  # from the hash now
        expect(page.locator(".jobs-small", has_text="signal on its way")).to_have_count(0)
    finally:
        context.close()
