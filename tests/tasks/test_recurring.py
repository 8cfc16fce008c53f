"""Recurring entries that name a django.tasks task instead of a Job class."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from jobs.recurring.checks import check_schedule
from jobs.recurring.schedule import EntryError, parse_entry
from jobs.tasks import WRAPPER
from jobs.tasks.compat import TaskResultStatus
from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.testapp.tasks import add


def test_a_task_entry_is_read() -> None:
    entry = parse_entry(
        "report", {"every": "1h", "task": "tests.testapp.tasks.add", "args": [1, 2]}
    )
    assert entry.job_name == "tests.testapp.tasks.add"
    assert entry.queue_name == "default"
    payload = entry.payload(1000.0, 999)
    assert payload["class"] == WRAPPER
    assert payload["display_class"] == "tests.testapp.tasks.add"
    assert payload["args"] == [[1, 2], {}]
    assert payload["recurring"] == "report"
    assert payload["recurring_tick"] == 999


def test_a_task_entry_may_pick_its_queue_and_kwargs() -> None:
    item = {"cron": "0 * * * *", "task": "tests.testapp.tasks.add", "args": [1, 2]}
    entry = parse_entry("x", {**item, "queue": "low", "kwargs": {"label": "q"}})
    assert entry.queue_name == "low"
    payload = entry.payload(1000.0, None)
    assert payload["queue"] == "low"
    assert payload["args"] == [[1, 2], {"label": "q"}]


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"task": "tests.testapp.never_imported.boom"}, "is not a registered task"),
        ({"task": "tests.testapp.tasks.add", "args": [1]}, "args do not fit"),
        (
            {"task": "tests.testapp.tasks.add", "args": [1, 2], "kwargs": {"nope": 1}},
            "args do not fit",
        ),
        (
            {"task": "tests.testapp.tasks.add", "args": [1, 2], "kwargs": [1]},
            "kwargs must be a dict",
        ),
        ({"task": "tests.testapp.tasks.add", "class": "tests.testapp.jobs.RecordJob"}, "not both"),
        ({"class": "tests.testapp.jobs.RecordJob", "kwargs": {}}, "kwargs go with a 'task'"),
    ],
)
def test_a_bad_task_entry_says_why(
    redis_client: redis.Redis, item: dict[str, object], problem: str
) -> None:
    with pytest.raises(EntryError, match=problem):
        parse_entry("bad", {"every": "1m", **item})
    assert redis_client.llen("ledger:imported") == 0


def test_the_system_check_names_a_bad_task_entry(settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "SCHEDULE": {"t": {"every": "1m", "task": "no.such.task"}}}
    errors = check_schedule()
    assert [error.id for error in errors] == ["jobs.E030"], [error.msg for error in errors]
    assert "'no.such.task' is not a registered task" in errors[0].msg


@pytest.mark.slow
def test_a_worker_runs_a_recurring_task_and_keeps_its_result(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    start_worker("-c", "2", settings="tests.tasks.recurring_settings").wait_ready()
    wait_for(lambda: redis_client.llen("ledger:task:add") >= 1, 20, what="a tick to run")

    def finished_records() -> list[str]:
        jids = [key.decode().rsplit(":", 1)[1] for key in redis_client.scan_iter("jobs:task:*")]
        return [
            jid for jid in jids if redis_client.hget(f"jobs:task:{jid}", "status") == b"SUCCESSFUL"
        ]

    jid = wait_for(finished_records, 10, what="a finished record")[0]
    result = add.get_result(jid)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"sum": 3, "label": "tick"}
    assert result.args == [1, 2]
    assert result.kwargs == {"label": "tick"}
    assert result.enqueued_at is not None
    assert redis_client.ttl(f"jobs:task:{jid}") > 86_000
