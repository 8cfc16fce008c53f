"""The Find box and the job page (jobs/dashboard/views/found.py), with real workers."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from django.test import Client
from playwright.sync_api import Browser, expect

from jobs.api import find
from tests.conftest import WorkerFactory
from tests.dashboard.seed import add, failed
from tests.dashboard.test_browser import DESKTOP, logged_in_context, shot
from tests.helpers import wait_for
from tests.testapp.jobs import FailJob, InteropFailJob, RecordJob

FIND = "/admin/jobs/find/"


def test_every_page_has_the_find_box(staff_client: Client, r: redis.Redis) -> None:
    for url in ("/admin/jobs/", "/admin/jobs/queues/", "/admin/jobs/dead/", FIND):
        body = staff_client.get(url).content.decode()
        assert 'action="/admin/jobs/find/"' in body, url
        assert 'name="jid"' in body, url


def test_unknown_and_malformed_jids_say_so(staff_client: Client, r: redis.Redis) -> None:
    empty = staff_client.get(FIND)
    assert empty.status_code == 200
    unknown = staff_client.get(FIND, {"jid": "0" * 24})
    assert unknown.status_code == 404
    assert "the history does not know it" in unknown.content.decode()
    malformed = staff_client.get(FIND, {"jid": "<b>x</b>"})
    assert malformed.status_code == 404
    assert "<b>x</b>" not in malformed.content.decode()


def test_a_retry_member_page_shows_the_traceback_as_python_does(
    staff_client: Client, r: redis.Redis
) -> None:
    from jobs.backtrace import capture, encode

    try:
        raise KeyError("k")
    except KeyError as exc:
        lines = capture(exc)
    payload = failed(error_class="KeyError", error_message="'k'", error_backtrace=encode(lines))
    add(r, "retry", payload, time.time() + 60)
    found = staff_client.get(FIND, {"jid": payload["jid"]})
    body = found.content.decode()
    assert found.status_code == 200
    assert "Waiting to be retried" in body
    assert '<span class="jobs-tb-heading">Traceback (most recent call last):</span>' in body
    assert "raise KeyError(&quot;k&quot;)" in body
    assert '<span class="jobs-tb-error">KeyError: &#x27;k&#x27;</span>' in body
    assert "/admin/jobs/retries/" in body  # the member's own page, with its actions


@pytest.mark.browser
@pytest.mark.slow
def test_find_a_job_from_the_search_box_and_see_its_timeline(
    browser: Browser,
    live_server: Any,
    superuser: Any,
    redis_client: redis.Redis,
    start_worker: WorkerFactory,
) -> None:
    flaky = FailJob.perform_async(1)  # fails once, retried at once, then succeeds
    stuck = InteropFailJob.perform_async("the API answered 503")  # waits an hour in retry
    done = RecordJob.perform_async("done")
    worker = start_worker("-c", "2")
    identity = worker.wait_ready()
    wait_for(lambda: redis_client.llen("ledger:runs") == 2, 30, what="the two successes")
    wait_for(lambda: redis_client.zcard("retry") == 1, 30, what="the retry entry")
    wait_for(
        lambda: (f := find(redis_client, flaky)) is not None and f.state == "succeeded",
        10,
        what="its success in the history",
    )

    context = logged_in_context(browser, live_server.url, superuser, **DESKTOP)
    page = context.new_page()
    page.goto(live_server.url + "/admin/jobs/queues/")
    page.fill("#jobs-find-jid", flaky)
    page.click(".jobs-find button")
    expect(page).to_have_url(f"{live_server.url}{FIND}?jid={flaky}")
    expect(page.locator(".jobs-state")).to_contain_text("Succeeded")
    runs = page.locator(".jobs-timeline .jobs-tl-run")
    expect(runs).to_have_count(2)
    expect(runs.nth(0)).to_contain_text("failed, retried")
    expect(runs.nth(0)).to_contain_text("ValueError: failure 1 of 1")
    expect(runs.nth(1)).to_contain_text("succeeded")
    expect(runs.nth(1)).to_contain_text(identity)
    expect(page.locator(".jobs-backtrace")).to_contain_text("Traceback (most recent call last):")
    expect(page.locator(".jobs-backtrace")).to_contain_text('raise ValueError(f"failure')
    shot(page, "find-job-desktop")

    page.fill("#jobs-find-jid", stuck)
    page.click(".jobs-find button")
    expect(page.locator(".jobs-state")).to_contain_text("Waiting to be retried")
    expect(page.locator(".jobs-backtrace")).to_contain_text("in perform")
    expect(page.locator(".jobs-backtrace .jobs-tb-error")).to_have_text(
        "ValueError: the API answered 503"
    )
    shot(page, "find-job-retry-desktop")
    page.locator(".jobs-state a").click()  # to the member's page in Retries, with actions
    expect(page.locator(".jobs-backtrace")).to_contain_text("Traceback (most recent call last):")

    page.fill("#jobs-find-jid", done)
    page.click(".jobs-find button")
    expect(page.locator(".jobs-state")).to_contain_text("Succeeded")
    expect(page.locator(".jobs-timeline .jobs-tl-run")).to_have_count(1)
    context.close()
    worker.kill()
