"""Reading JOBS["SCHEDULE"]: valid entries, and every problem of an invalid one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from jobs.recurring.schedule import Entry, EntryError, find_job, load_schedule, parse_entry
from jobs.recurring.times import CronTimes, EveryTimes
from tests.testapp.jobs import NamedJob, RecordJob, TickJob

TICK = "tests.testapp.jobs.TickJob"


def problems(item: Any, name: Any = "entry") -> list[str]:
    with pytest.raises(EntryError) as caught:
        parse_entry(name, item)
    assert caught.value.name == (name if isinstance(name, str) else repr(name))
    return caught.value.problems


def test_full_entry() -> None:
    entry = parse_entry(
        "heartbeat",
        {
            "every": "30s",
            "class": TICK,
            "args": ["beat"],
            "queue": "low",
            "description": "Ping",
            "enabled": False,
            "tz": "Europe/Berlin",
            "catch_up": False,
        },
    )
    assert entry.job is TickJob
    assert isinstance(entry.times, EveryTimes)
    assert entry.times.seconds == 30
    assert (entry.args, entry.queue, entry.description) == (["beat"], "low", "Ping")
    assert (entry.enabled, entry.catch_up, entry.tz.key) == (False, False, "Europe/Berlin")
    assert entry.schedule == "every 30s"
    assert entry.words() == "every 30 seconds"


@override_settings(TIME_ZONE="America/New_York")
def test_defaults_time_zone_from_settings_and_queue_from_the_class() -> None:
    entry = parse_entry("cleanup", {"cron": "0 * * * *", "class": TICK, "args": ["x"]})
    assert isinstance(entry.times, CronTimes)
    assert entry.tz.key == "America/New_York"
    assert (entry.queue, entry.queue_name) == (None, "default")
    assert (entry.enabled, entry.catch_up, entry.description) == (True, True, "")
    assert entry.schedule == "cron 0 * * * *"


def test_class_by_dotted_path_or_by_registered_name() -> None:
    assert find_job("NamedRubyStyleJob") is NamedJob
    assert find_job("tests.testapp.jobs.NamedJob") is NamedJob
    assert find_job("tests.testapp.jobs.RecordJob") is RecordJob
    assert find_job("os.system") is None
    assert find_job(None) is None


def test_payload_is_a_sidekiq_job_marked_with_its_entry_and_tick() -> None:
    entry = parse_entry("e", {"every": "1m", "class": TICK, "args": ["a"], "queue": "low"})
    payload = entry.payload(1000.0, 960)
    assert payload["class"] == TICK
    assert payload["args"] == ["a"]
    assert payload["queue"] == "low"
    assert len(payload["jid"]) == 24
    assert payload["created_at"] == payload["enqueued_at"] == 1000.0
    assert (payload["recurring"], payload["recurring_tick"]) == ("e", 960)
    assert "recurring_tick" not in entry.payload(1000.0, None)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"class": TICK, "args": ["a"]}, "needs exactly one of 'cron' and 'every'"),
        (
            {"cron": "* * * * *", "every": "1s", "class": TICK, "args": ["a"]},
            "needs exactly one of 'cron' and 'every'",
        ),
        ({"cron": "61 * * * *", "class": TICK, "args": ["a"]}, "not a valid cron expression"),
        ({"cron": 5, "class": TICK, "args": ["a"]}, "cron must be a string"),
        ({"every": "1w", "class": TICK, "args": ["a"]}, "is not an interval"),
        ({"every": "1s"}, "needs a 'class'"),
        ({"every": "1s", "class": "os.system"}, "class 'os.system' is not a registered Job"),
        ({"every": "1s", "class": TICK, "args": "a"}, "args must be a list, not str"),
        ({"every": "1s", "class": TICK, "args": []}, "args do not fit"),
        ({"every": "1s", "class": TICK, "args": ["a", "b"]}, "args do not fit"),
        ({"every": "1s", "class": TICK, "args": [{1, 2}]}, "not JSON-native"),
        ({"every": "1s", "class": TICK, "args": ["a"], "queue": "a b"}, "queue must be"),
        ({"every": "1s", "class": TICK, "args": ["a"], "enabled": "no"}, "enabled must be"),
        ({"every": "1s", "class": TICK, "args": ["a"], "catch_up": 0}, "catch_up must be"),
        ({"every": "1s", "class": TICK, "args": ["a"], "tz": "Mars/Base"}, "not a known time zone"),
        ({"every": "1s", "class": TICK, "args": ["a"], "crom": "x"}, "unknown key(s) crom"),
        ({"every": "1s", "class": TICK, "args": ["a"], "description": 1}, "description must be"),
    ],
)
def test_each_problem_is_named(item: dict[str, Any], expected: str) -> None:
    found = problems(item)
    assert any(expected in problem for problem in found), found


def test_every_problem_of_an_entry_is_reported_at_once() -> None:
    found = problems({"every": "soon", "class": "nope", "queue": ""})
    assert len(found) == 3, found


def test_entry_must_be_a_dict_with_a_string_name() -> None:
    assert problems("0 * * * *") == ["must be a dict, not str"]
    assert problems({"every": "1s", "class": TICK}, name=3) == [
        "the entry name must be a non-empty string"
    ]


def test_load_schedule_keeps_valid_entries_and_lists_invalid_ones_in_order() -> None:
    entries, errors = load_schedule(
        {
            "good": {"every": "1s", "class": TICK, "args": ["a"]},
            "bad": {"every": "1s", "class": "nope"},
            "also-good": {"cron": "@daily", "class": TICK, "args": ["b"]},
            "worse": [],
        }
    )
    assert [entry.name for entry in entries] == ["good", "also-good"]
    assert all(isinstance(entry, Entry) for entry in entries)
    assert [error.name for error in errors] == ["bad", "worse"]
    _, errors = load_schedule(["not", "a", "dict"])
    assert "must be a dict" in errors[0].problems[0]
