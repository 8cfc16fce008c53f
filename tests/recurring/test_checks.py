"""`manage.py check` names every invalid recurring entry."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from jobs.recurring.checks import check_schedule
from tests.helpers import run_manage

TICK = "tests.testapp.jobs.TickJob"
SCHEDULE: dict[str, Any] = {
    "fine": {"every": "1m", "class": TICK, "args": ["a"]},
    "bad-cron": {"cron": "0 25 * * *", "class": TICK, "args": ["a"]},
    "unknown-class": {"every": "1h", "class": "myapp.jobs.Missing"},
    "wrong-args": {"every": "5m", "class": TICK, "args": [1, 2]},
    "no-schedule": {"class": TICK, "args": ["a"]},
}


def jobs_with(schedule: Any) -> dict[str, Any]:
    from django.conf import settings

    return {**settings.JOBS, "SCHEDULE": schedule}


def test_each_invalid_entry_is_an_error_naming_it() -> None:
    with override_settings(JOBS=jobs_with(SCHEDULE)):
        messages = check_schedule()
    assert {m.id for m in messages} == {"jobs.E030"}
    named = [m.msg.split(": ")[0] for m in messages]
    assert named == [
        "JOBS['SCHEDULE']['bad-cron']",
        "JOBS['SCHEDULE']['unknown-class']",
        "JOBS['SCHEDULE']['wrong-args']",
        "JOBS['SCHEDULE']['no-schedule']",
    ]
    text = "\n".join(m.msg for m in messages)
    assert "'0 25 * * *' is not a valid cron expression" in text
    assert "'myapp.jobs.Missing' is not a registered Job" in text
    assert "args do not fit: TickJob.perform(): too many positional arguments" in text
    assert "needs exactly one of 'cron' and 'every'" in text
    assert all(m.hint for m in messages)


def test_valid_or_empty_schedule_passes() -> None:
    with override_settings(JOBS=jobs_with({"fine": SCHEDULE["fine"]})):
        assert check_schedule() == []
    with override_settings(JOBS=jobs_with({})):
        assert check_schedule() == []


def test_schedule_that_is_not_a_dict_is_an_error() -> None:
    with override_settings(JOBS=jobs_with([("a", "0 * * * *")])):
        [message] = check_schedule()
    assert "JOBS['SCHEDULE'] must be a dict" in message.msg


def test_manage_py_check_fails_and_names_the_entry() -> None:
    with override_settings(JOBS=jobs_with(SCHEDULE)), pytest.raises(SystemCheckError) as caught:
        call_command("check")
    assert "JOBS['SCHEDULE']['unknown-class']" in str(caught.value)
    assert "jobs.E030" in str(caught.value)


def test_manage_py_check_in_a_real_process_passes_for_the_test_schedule(redis_url: str) -> None:
    output = run_manage("check", redis_url=redis_url, settings="tests.recurring.settings")
    assert "System check identified no issues" in output, output
