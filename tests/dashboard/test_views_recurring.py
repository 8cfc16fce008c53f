"""Recurring page: entries and their runs, enqueue now, disable and enable, who may act."""

from __future__ import annotations

import re
from typing import Any

import pytest
import redis
from django.test import Client
from django.utils import translation

from jobs.dashboard.views.recurring import last_job_url
from jobs.payload import loads
from jobs.recurring import control, store
from jobs.recurring.control import RecurringEntry
from tests.dashboard.seed import XSS

RECORD, TICK = "tests.testapp.jobs.RecordJob", "tests.testapp.jobs.TickJob"
SCHEDULE: dict[str, Any] = {
    "hourly-cleanup": {
        "cron": "0 * * * *",
        "class": RECORD,
        "args": ["cleanup"],
        "description": "Delete expired sessions",
        "tz": "Europe/Berlin",
    },
    "heartbeat": {
        "every": "30s",
        "class": TICK,
        "args": ["beat"],
        "queue": "critical",
        "enabled": False,
    },
    "broken": {"every": "1w", "class": TICK, "args": ["b"]},
}
PAGE = "/admin/jobs/recurring/"
ENQUEUE = "/admin/jobs/actions/recurring/enqueue"
DISABLE = "/admin/jobs/actions/recurring/disable"
ENABLE = "/admin/jobs/actions/recurring/enable"


@pytest.fixture
def schedule(settings: Any, redis_client: redis.Redis) -> dict[str, Any]:
    """SCHEDULE in the settings for this test."""
    settings.JOBS = {**settings.JOBS, "SCHEDULE": SCHEDULE}
    return SCHEDULE


def row_of(body: str, name: str) -> str:
    """The table row of entry `name`."""
    for row in re.findall(r"<tr>.*?</tr>", body, re.DOTALL):
        if f'<strong class="jobs-name">{name}</strong>' in row:
            return str(row)
    raise AssertionError(f"no row for {name}")


def by_name(name: str) -> RecurringEntry:
    return next(entry for entry in control.entries() if entry.name == name)


def test_empty_state_says_what_to_do(staff_client: Client) -> None:
    body = staff_client.get(PAGE).content.decode()
    assert "No recurring jobs configured" in body
    assert '<code>JOBS["SCHEDULE"]</code>' in body
    assert "jobs_schedule" in body
    assert 'aria-current="page">Recurring' in body
    assert "jobs-table" not in body


def test_each_entry_with_its_schedule_job_and_state(staff_client: Client, schedule: object) -> None:
    body = staff_client.get(PAGE).content.decode()
    assert "<strong>3</strong> entries" in body
    assert "<strong>1</strong> enabled" in body
    assert '<strong class="jobs-error">1</strong> invalid' in body

    hourly = row_of(body, "hourly-cleanup")
    assert "Delete expired sessions" in hourly
    assert (
        '<span class="jobs-hint" title="cron 0 * * * *">at minute 0 of every hour</span>' in hourly
    )
    assert "Europe/Berlin" in hourly
    assert "tests.<wbr>testapp.<wbr>jobs.<wbr>RecordJob" in hourly
    assert '<a href="/admin/jobs/queues/default">default</a>' in hourly
    assert '<code class="jobs-args">[&quot;cleanup&quot;]</code>' in hourly
    assert 'jobs-tag-ok">enabled' in hourly
    assert "never" in hourly  # no last run yet
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">in \d+ (min|s)</time>', hourly)
    assert re.search(r"(CET|CEST)</div>", hourly)  # the next run in the entry's own zone
    assert ">Enqueue now</button>" in hourly
    assert ">Disable</button>" in hourly

    heartbeat = row_of(body, "heartbeat")
    assert 'title="every 30s">every 30 seconds' in heartbeat
    assert '<a href="/admin/jobs/queues/critical">critical</a>' in heartbeat
    assert 'jobs-tag-warn">disabled' in heartbeat
    assert "none while disabled" in heartbeat
    assert "from the dashboard" not in heartbeat  # disabled by the settings themselves
    assert ">Enable</button>" in heartbeat

    broken = row_of(body, "broken")
    assert 'jobs-tag-bad">invalid' in broken
    assert "&#x27;1w&#x27; is not an interval" in broken
    assert "<form" not in broken  # an invalid entry cannot be enqueued or enabled
    assert "/admin/jobs/queues/" not in broken


def test_enqueue_now_pushes_the_job_and_shows_the_last_run(
    staff_client: Client, schedule: object, r: redis.Redis
) -> None:
    response = staff_client.post(ENQUEUE, {"name": "hourly-cleanup"})
    assert response.status_code == 302
    assert response["Location"] == PAGE

    [raw] = r.lrange("queue:default", 0, -1)
    payload = loads(raw)
    assert (payload["class"], payload["args"], payload["recurring"]) == (
        RECORD,
        ["cleanup"],
        "hourly-cleanup",
    )
    assert r.sismember("queues", "default")

    body = staff_client.get(PAGE).content.decode()
    hourly = row_of(body, "hourly-cleanup")
    assert re.search(r'<time datetime="[^"]+" title="[^"]+">\d+ s ago</time>', hourly)
    assert ">manual</span>" in hourly
    assert ">enqueued</span>" in hourly
    jid = payload["jid"]
    assert f'<a href="/admin/jobs/queues/default?q={jid}"><code>{jid}</code></a>' in hourly
    assert "never" in row_of(body, "heartbeat")  # the others are untouched


@pytest.mark.parametrize(("language", "words"), [("de", ">eingereiht</span>"),
                                                  ("fr", ">en file</span>")])  # fmt: skip
def test_the_last_jobs_status_reads_in_the_projects_language(
    staff_client: Client, schedule: object, settings: Any, language: str, words: str
) -> None:
    staff_client.post(ENQUEUE, {"name": "hourly-cleanup"})
    settings.LANGUAGE_CODE = language
    try:
        body = staff_client.get(PAGE).content.decode()
    finally:
        translation.deactivate()
    assert words in row_of(body, "hourly-cleanup")


def test_enqueue_now_says_so_and_works_while_disabled(
    staff_client: Client, schedule: object, r: redis.Redis
) -> None:
    response = staff_client.post(ENQUEUE, {"name": "heartbeat"}, follow=True)
    [raw] = r.lrange("queue:critical", 0, -1)
    assert f"Enqueued heartbeat now as job {loads(raw)['jid']}" in response.content.decode()
    assert by_name("heartbeat").enabled is False


def test_disable_then_enable(staff_client: Client, schedule: object) -> None:
    response = staff_client.post(DISABLE, {"name": "hourly-cleanup"}, follow=True)
    body = response.content.decode()
    assert "Disabled hourly-cleanup: no worker enqueues it" in body
    assert by_name("hourly-cleanup").enabled is False
    hourly = row_of(body, "hourly-cleanup")
    assert "from the dashboard; settings say enabled" in hourly
    assert ">Enable</button>" in hourly
    assert "none while disabled" in hourly

    body = staff_client.post(ENABLE, {"name": "hourly-cleanup"}, follow=True).content.decode()
    assert "Enabled hourly-cleanup" in body
    assert by_name("hourly-cleanup").enabled is True
    assert "from the dashboard" not in row_of(body, "hourly-cleanup")
    assert ">Disable</button>" in row_of(body, "hourly-cleanup")


def test_enable_overrides_a_disabled_setting(staff_client: Client, schedule: object) -> None:
    body = staff_client.post(ENABLE, {"name": "heartbeat"}, follow=True).content.decode()
    assert by_name("heartbeat").enabled is True
    assert "from the dashboard; settings say disabled" in row_of(body, "heartbeat")


def test_a_safe_next_is_followed(staff_client: Client, schedule: object) -> None:
    back = staff_client.post(DISABLE, {"name": "heartbeat", "next": PAGE + "?x=1"})
    assert back["Location"] == PAGE + "?x=1"
    away = staff_client.post(DISABLE, {"name": "heartbeat", "next": "https://evil.example/"})
    assert away["Location"] == PAGE


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (ENQUEUE, {"name": "broken"}, "Entry broken is invalid: fix its settings"),
        (ENQUEUE, {"name": "nope"}, "No recurring entry is called &#x27;nope&#x27;"),
        (DISABLE, {"name": "nope"}, "No recurring entry is called &#x27;nope&#x27;"),
        (ENABLE, {}, "Choose a recurring entry."),
    ],
)
def test_invalid_unknown_or_missing_entry_changes_nothing(
    staff_client: Client, schedule: object, r: redis.Redis, url: str, data: dict[str, str],
    message: str,
) -> None:  # fmt: skip
    body = staff_client.post(url, data, follow=True).content.decode()
    assert message in body
    assert r.keys("queue:*") == []
    assert r.keys("jobs:recurring:entry:*") == []


def test_viewers_see_no_buttons_and_may_not_act(
    viewer_client: Client, schedule: object, r: redis.Redis
) -> None:
    body = viewer_client.get(PAGE).content.decode()
    assert "hourly-cleanup" in body
    assert "You can look but not act" in body
    assert "Enqueue now" not in body
    assert "/actions/recurring/" not in body
    for url in (ENQUEUE, DISABLE, ENABLE):
        assert viewer_client.post(url, {"name": "hourly-cleanup"}).status_code == 403
    assert r.llen("queue:default") == 0
    assert by_name("hourly-cleanup").enabled is True


def test_actions_refuse_get(staff_client: Client, schedule: object, r: redis.Redis) -> None:
    for url in (ENQUEUE, DISABLE, ENABLE):
        assert staff_client.get(url, {"name": "hourly-cleanup"}).status_code == 405
    assert r.llen("queue:default") == 0
    assert by_name("hourly-cleanup").enabled is True


def test_actions_need_the_csrf_token(staff: Any, schedule: object, r: redis.Redis) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post(ENQUEUE, {"name": "hourly-cleanup"}).status_code == 403
    assert r.llen("queue:default") == 0
    page = client.get(PAGE).content.decode()
    forms = re.findall(
        r'<form method="post" action="/admin/jobs/actions/recurring/.*?</form>', page, re.DOTALL
    )
    assert len(forms) == 4  # two for each valid entry
    assert all('name="csrfmiddlewaretoken"' in form for form in forms)


@pytest.mark.parametrize(
    ("status", "where"),
    [("retrying", "/admin/jobs/retries/"), ("dead", "/admin/jobs/dead/"), ("succeeded", None)],
)
def test_the_last_job_links_to_where_it_waits(
    staff_client: Client, schedule: object, app_redis: redis.Redis, status: str, where: str | None
) -> None:
    jid = control.enqueue_now("hourly-cleanup", app_redis)
    assert store.record_status(app_redis, "hourly-cleanup", jid, status, 1.0)
    hourly = row_of(staff_client.get(PAGE).content.decode(), "hourly-cleanup")
    assert f">{status}</span>" in hourly
    if where is None:
        assert "?q=" not in hourly
        assert "jobs-tag-ok" in hourly
    else:
        assert f'<a href="{where}?q={jid}"><code>{jid}</code></a>' in hourly
        assert f"{where}?q={jid}" == last_job_url(by_name("hourly-cleanup"))


def test_hostile_names_descriptions_and_state_are_escaped(
    staff_client: Client, settings: Any, r: redis.Redis
) -> None:
    evil, other = XSS
    settings.JOBS = {
        **settings.JOBS,
        "SCHEDULE": {
            evil: {"every": "1m", "class": RECORD, "description": other, "queue": evil},
            other: {"cron": "0 0 * * *", "class": RECORD, "description": evil},
            "bad": {"every": evil, "class": other, "tz": evil, "queue": other, "args": [evil]},
        },
    }
    staff_client.post(ENQUEUE, {"name": evil})
    staff_client.post(DISABLE, {"name": other})
    r.hset(store.state_key(other), mapping={"jid": evil, "status": other, "enqueued_at": 1.0})
    r.hset(store.state_key("bad"), mapping={"jid": other, "status": "dead", "enqueued_at": 1.0})
    response = staff_client.post(ENQUEUE, {"name": evil}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert r.llen(f"queue:{evil}") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    for text in XSS:
        assert text not in body
    assert "<img src=x" not in body
    assert "<script>" not in body
