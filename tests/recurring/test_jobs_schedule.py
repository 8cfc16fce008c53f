"""`manage.py jobs_schedule`: the entries, their state and their next runs in the terminal."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from freezegun import freeze_time

from jobs.recurring import control
from tests.helpers import free_port, run_manage
from tests.recurring.conftest import TICK

UseSchedule = Callable[[dict[str, Any]], None]
SCHEDULE: dict[str, Any] = {
    "hourly": {"cron": "0 * * * *", "class": TICK, "args": ["h"], "tz": "Europe/Berlin"},
    "often": {"every": "30s", "class": TICK, "args": ["o"], "queue": "low"},
    "off": {"every": "1d", "class": TICK, "args": ["d"], "enabled": False},
    "broken": {"cron": "0 0 30 2 *", "class": TICK, "args": ["b"]},
}


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("jobs_schedule", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def row(output: str, name: str) -> list[str]:
    """The cells of `name`'s line (cells are separated by two spaces or more)."""
    for line in output.splitlines():
        if line.startswith(name + " "):
            return [cell.strip() for cell in line.split("  ") if cell.strip()]
    raise AssertionError(f"no row for {name!r} in:\n{output}")


@freeze_time("2025-03-30T00:30:10+00:00")
def test_lists_entries_with_schedule_state_and_next_run(
    redis_client: redis.Redis, use_schedule: UseSchedule
) -> None:
    use_schedule(SCHEDULE)
    control.set_enabled("often", False)

    output, errors = run()

    assert errors == ""
    assert output.splitlines()[0].split() == [
        "NAME", "ENABLED", "SCHEDULE", "JOB", "QUEUE", "NEXT", "RUN", "LAST", "RUN"
    ]  # fmt: skip
    assert row(output, "hourly") == [
        "hourly",
        "yes",
        "at minute 0 of every hour (cron 0 * * * *)",
        TICK,
        "default",
        "2025-03-30 03:00:00 CEST (in 29 min)",
        "never",
    ]
    assert row(output, "often")[:2] == ["often", "no (dashboard)"]
    assert row(output, "often")[2] == "every 30 seconds"
    assert row(output, "often")[5] == "- (disabled)"  # no next run for a disabled entry
    assert row(output, "off")[1:3] == ["no", "every day at midnight"]
    assert row(output, "off")[5] == "- (disabled)"
    assert row(output, "broken")[1] == "INVALID"
    assert "broken: invalid, never runs: cron '0 0 30 2 *' never matches a date" in output


@freeze_time("2025-03-29T12:00:00+00:00")
def test_next_n_runs_and_last_run(redis_client: redis.Redis, use_schedule: UseSchedule) -> None:
    use_schedule(SCHEDULE)
    control.enqueue_now("hourly")

    output, _ = run("--next", "3")

    assert row(output, "hourly")[-1] == "2025-03-29 13:00:00 CET enqueued"
    assert "hourly: next 3 runs (Europe/Berlin)" in output
    lines = output.splitlines()
    start = lines.index("often: next 3 runs (UTC)")
    assert lines[start + 1 : start + 4] == [
        "  2025-03-29 12:00:30 UTC",
        "  2025-03-29 12:01:00 UTC",
        "  2025-03-29 12:01:30 UTC",
    ]
    assert "off: disabled, no next runs" in lines
    assert "off: next 3 runs (UTC)" not in lines


def test_without_redis_lists_the_settings_and_says_so(use_schedule: UseSchedule) -> None:
    use_schedule(SCHEDULE)
    url = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(JOBS={**settings.JOBS, "REDIS_URL": url}):
        output, errors = run()
    assert f"Redis at {url} is unreachable" in errors
    assert row(output, "often")[1] == "yes"
    assert row(output, "hourly")[-1] == "never"


def test_empty_schedule(use_schedule: UseSchedule) -> None:
    use_schedule({})
    output, _ = run()
    assert output.strip() == "No recurring jobs: JOBS['SCHEDULE'] is empty."


@pytest.mark.usefixtures("redis_client")
def test_in_a_real_process(redis_url: str) -> None:
    output = run_manage("jobs_schedule", redis_url=redis_url, settings="tests.recurring.settings")
    for name in ("tick", "paused", "nightly"):
        assert row(output, name)[1] == "yes"
    assert "every day at 02:30 (cron 30 2 * * *)" in output


def test_the_table_stays_english_in_a_german_project(use_schedule: UseSchedule) -> None:
    use_schedule(SCHEDULE)
    with override_settings(LANGUAGE_CODE="de"):
        out, _ = run()
    assert "every 30 seconds" in row(out, "often")
    assert "at minute 0 of every hour" in " ".join(row(out, "hourly"))
