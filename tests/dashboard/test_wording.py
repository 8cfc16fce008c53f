"""The dashboard's words: singular and plural counts, the order of Scheduled, the retry
option in plain words, and which buttons look dangerous (issue 21's small things)."""

from __future__ import annotations

import re
import time

import pytest
import redis
from django.test import Client

from jobs.api import Action, SortedJobSet
from jobs.dashboard.views.sets import done_message
from tests.dashboard.seed import add, failed, job, push
from tests.dashboard.test_views_recurring import schedule  # noqa: F401 (a fixture)


@pytest.mark.parametrize(
    ("action", "count", "text"),
    [
        (Action.ENQUEUE, 1, "1 job sent to its queue."),
        (Action.ENQUEUE, 2, "2 jobs sent to their queues."),
        (Action.DELETE, 1, "1 job deleted."),
        (Action.DELETE, 0, "0 jobs deleted."),
        (Action.KILL, 1, "1 job killed."),
        (Action.KILL, 7, "7 jobs killed."),
    ],
)
def test_action_messages_count_in_words(action: Action, count: int, text: str) -> None:
    assert done_message(action, count) == text


def test_clearing_a_queue_of_one_job_says_job(staff_client: Client, r: redis.Redis) -> None:
    push(r, "low", job(queue="low"))
    response = staff_client.post("/admin/jobs/actions/queues/clear", {"queue": "low"}, follow=True)
    assert "Cleared queue low: 1 job deleted." in response.content.decode()


def test_search_counts_in_words(staff_client: Client, r: redis.Redis) -> None:
    add(r, "dead", failed(error_message="SMTP timeout"), 1)
    one = staff_client.get("/admin/jobs/dead/?q=smtp").content.decode()
    assert "1 job matches “smtp”." in one

    add(r, "dead", failed(error_message="SMTP refused"), 2)
    two = staff_client.get("/admin/jobs/dead/?q=smtp").content.decode()
    assert "2 jobs match “smtp”." in two


def test_scheduled_is_ordered_soonest_first_the_others_oldest_first(
    staff_client: Client, r: redis.Redis
) -> None:
    scheduled = staff_client.get("/admin/jobs/scheduled/").content.decode()
    assert "<strong>soonest first</strong>" in scheduled
    assert "latest first" in scheduled
    assert "oldest first" not in scheduled

    retries = staff_client.get("/admin/jobs/retries/").content.decode()
    assert "<strong>oldest first</strong>" in retries
    assert "soonest first" not in retries


def test_the_default_retry_option_is_said_in_words(
    staff_client: Client, r: redis.Redis, app_redis: redis.Redis
) -> None:
    add(r, "retry", failed(retry=True), time.time() + 60)
    add(r, "schedule", job(retry=5), time.time() + 60)
    [default] = [rec.key for rec in SortedJobSet(app_redis, "retry").page(0, 10, False).records]
    [five] = [rec.key for rec in SortedJobSet(app_redis, "schedule").page(0, 10, False).records]

    body = staff_client.get(f"/admin/jobs/retries/{default}").content.decode()
    assert "<dt>Retry option</dt><dd>25, the default</dd>" in body
    body = staff_client.get(f"/admin/jobs/scheduled/{five}").content.decode()
    assert "<dt>Retry option</dt><dd>5</dd>" in body


@pytest.mark.usefixtures("schedule")
def test_disable_on_recurring_is_not_styled_as_danger(staff_client: Client) -> None:
    body = staff_client.get("/admin/jobs/recurring/").content.decode()
    disable = re.findall(r'<button class="([^"]*)">Disable</button>', body)
    assert disable, "no Disable button"
    assert all("jobs-danger" not in classes for classes in disable)
