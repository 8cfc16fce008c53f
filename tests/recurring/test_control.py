"""The read/act functions the dashboard's Recurring page uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from freezegun import freeze_time

from jobs import signals
from jobs.payload import loads
from jobs.recurring import control, status, store
from jobs.recurring.schedule import EntryError
from jobs.runtime.clock import Clock
from tests.recurring.conftest import TICK

SCHEDULE: dict[str, Any] = {
    "hourly": {
        "cron": "0 * * * *",
        "class": TICK,
        "args": ["h"],
        "description": "On the hour",
        "tz": "Europe/Berlin",
    },
    "often": {"every": "30s", "class": TICK, "args": ["o"], "queue": "low", "enabled": False},
    "broken": {"every": "1w", "class": TICK, "args": ["b"]},
}
UseSchedule = Callable[[dict[str, Any]], None]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def schedule(use_schedule: UseSchedule) -> None:
    use_schedule(SCHEDULE)


@freeze_time("2025-03-30T00:30:00+00:00")
def test_entries_describe_each_entry_in_settings_order(redis_client: redis.Redis) -> None:
    hourly, often, broken = control.entries()

    assert hourly.name == "hourly"
    assert hourly.schedule == "cron 0 * * * *"
    assert hourly.schedule_words == "at minute 0 of every hour"
    assert (hourly.job_class, hourly.queue, hourly.args) == (TICK, "default", ["h"])
    assert (hourly.description, hourly.time_zone, hourly.catch_up) == (
        "On the hour",
        "Europe/Berlin",
        True,
    )
    assert (hourly.enabled, hourly.enabled_in_settings, hourly.valid) == (True, True, True)
    assert hourly.next_run is not None
    # 00:30Z is 01:30 CET; the next hour is 03:00 CEST, DST starting at 02:00.
    assert hourly.next_run.strftime("%H:%M %Z") == "03:00 CEST"
    assert (hourly.last_run, hourly.last_jid, hourly.last_status) == (None, None, None)

    assert (often.schedule_words, often.queue, often.enabled) == ("every 30 seconds", "low", False)
    assert often.time_zone == "UTC"

    assert not broken.valid
    assert broken.error is not None
    assert "'1w' is not an interval" in broken.error
    assert (broken.enabled, broken.next_run, broken.schedule) == (False, None, "every 1w")


def test_enqueue_now_pushes_the_job_and_becomes_the_last_run(redis_client: redis.Redis) -> None:
    jid = control.enqueue_now("often")

    [raw] = redis_client.lrange("queue:low", 0, -1)
    payload = loads(raw)
    assert (payload["jid"], payload["class"], payload["args"]) == (jid, TICK, ["o"])
    assert payload["recurring"] == "often"
    assert "recurring_tick" not in payload
    entry = control.get_entry("often")
    assert (entry.last_jid, entry.last_status, entry.last_manual) == (jid, "enqueued", True)
    assert entry.last_run is not None
    assert entry.last_tick is None


def test_last_status_follows_the_job(redis_client: redis.Redis, app_redis: redis.Redis) -> None:
    jid = control.enqueue_now("hourly")
    payload = loads(redis_client.lrange("queue:default", 0, -1)[0])
    status.connect(app_redis, Clock())
    signals.job_succeeded.send(sender=None, payload=payload, duration=0.01)

    entry = control.get_entry("hourly")
    assert (entry.last_jid, entry.last_status) == (jid, "succeeded")
    assert entry.last_status_at is not None
    assert entry.last_status_at.tzinfo == BERLIN


def test_set_enabled_is_kept_in_redis_and_read_back(redis_client: redis.Redis) -> None:
    control.set_enabled("often", True)
    entry = control.get_entry("often")
    assert (entry.enabled, entry.enabled_in_settings) == (True, False)
    assert redis_client.hget(store.state_key("often"), "enabled") == b"1"

    control.set_enabled("hourly", False)
    assert control.get_entry("hourly").enabled is False


def test_unknown_and_invalid_entries(redis_client: redis.Redis) -> None:
    with pytest.raises(control.UnknownEntry, match="no recurring entry is called 'nope'"):
        control.enqueue_now("nope")
    with pytest.raises(control.UnknownEntry, match="no recurring entry is called 'nope'"):
        control.set_enabled("nope", True)
    with pytest.raises(control.UnknownEntry, match="no recurring entry is called 'nope'"):
        control.get_entry("nope")
    with pytest.raises(EntryError, match="broken"):
        control.enqueue_now("broken")
    assert redis_client.llen("queue:default") == 0


@freeze_time("2025-03-30T00:30:00+01:00")
def test_upcoming_lists_next_runs_in_the_entry_zone() -> None:
    runs = control.upcoming("hourly", 3)
    assert [run.strftime("%H:%M %Z") for run in runs] == ["01:00 CET", "03:00 CEST", "04:00 CEST"]
    assert all(isinstance(run, datetime) for run in runs)


def test_entries_without_redis_state() -> None:
    entries = control.entries(with_state=False)
    assert [entry.enabled for entry in entries] == [True, False, False]
