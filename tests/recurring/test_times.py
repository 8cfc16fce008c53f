"""Next-run computation in a time zone, across DST changes (freezegun for "now").

Europe/Berlin: 2025-03-30 02:00 CET -> 03:00 CEST (01:00Z); 2025-10-26 03:00 CEST -> 02:00 CET (01:00Z).
America/New_York: 2025-03-09 02:00 EST -> 03:00 EDT (07:00Z); 2025-11-02 02:00 EDT -> 01:00 EST (06:00Z).
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from jobs.recurring.schedule import Entry
from jobs.recurring.times import CronTimes, EveryTimes, latest_tick
from tests.testapp.jobs import TickJob

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def runs(times: CronTimes | EveryTimes, frozen_at: str, count: int) -> list[datetime]:
    """The next `count` runs as the entry reports them, with the clock frozen at `frozen_at`."""
    entry = Entry("e", TickJob, times, ["x"])
    found: list[datetime] = []
    with freeze_time(frozen_at):
        found.append(entry.next_run())
    for _ in range(count - 1):
        found.append(entry.next_run(found[-1].timestamp()))
    return found


def labels(moments: list[datetime]) -> list[str]:
    return [moment.strftime("%m-%d %H:%M:%S %Z") for moment in moments]


def gaps(moments: list[datetime]) -> list[float]:
    return [b.timestamp() - a.timestamp() for a, b in pairwise(moments)]


# Cron: the wall clock of the zone.


def test_cron_time_skipped_by_spring_forward_runs_once_when_the_gap_ends() -> None:
    moments = runs(CronTimes("30 2 * * *", BERLIN), "2025-03-29T12:00:00+01:00", 3)
    assert labels(moments) == ["03-30 03:00:00 CEST", "03-31 02:30:00 CEST", "04-01 02:30:00 CEST"]


def test_cron_time_repeated_by_fall_back_runs_once() -> None:
    moments = runs(CronTimes("30 2 * * *", BERLIN), "2025-10-25T12:00:00+02:00", 3)
    assert labels(moments) == ["10-26 02:30:00 CEST", "10-27 02:30:00 CET", "10-28 02:30:00 CET"]
    assert gaps(moments) == [25 * 3600, 24 * 3600]


def test_cron_fixed_hour_seen_from_the_repeated_hour_waits_for_tomorrow() -> None:
    # 02:40 CET is the second pass through 02:xx: the 02:30 run already happened at 02:30 CEST.
    # No freezegun here: its FakeDatetime drops `fold`, which is what tells the passes apart.
    entry = Entry("e", TickJob, CronTimes("30 2 * * *", BERLIN), ["x"])
    second_pass = datetime(2025, 10, 26, 1, 40, tzinfo=UTC).timestamp()
    assert labels([entry.next_run(second_pass)]) == ["10-27 02:30:00 CET"]
    first_pass = second_pass - 3600
    assert labels([entry.next_run(first_pass)]) == ["10-27 02:30:00 CET"]


def test_cron_every_half_hour_keeps_real_time_rhythm_across_fall_back() -> None:
    moments = runs(CronTimes("*/30 * * * *", BERLIN), "2025-10-26T01:45:00+02:00", 6)
    assert labels(moments) == [
        "10-26 02:00:00 CEST",
        "10-26 02:30:00 CEST",
        "10-26 02:00:00 CET",
        "10-26 02:30:00 CET",
        "10-26 03:00:00 CET",
        "10-26 03:30:00 CET",
    ]
    assert set(gaps(moments)) == {1800}


def test_cron_every_half_hour_skips_nothing_real_across_spring_forward() -> None:
    moments = runs(CronTimes("*/30 * * * *", BERLIN), "2025-03-30T01:15:00+01:00", 4)
    assert labels(moments) == [
        "03-30 01:30:00 CET",
        "03-30 03:00:00 CEST",
        "03-30 03:30:00 CEST",
        "03-30 04:00:00 CEST",
    ]
    assert set(gaps(moments)) == {1800}


def test_cron_hourly_runs_in_both_passes_of_the_repeated_hour_new_york() -> None:
    moments = runs(CronTimes("0 * * * *", NEW_YORK), "2025-11-02T00:30:00-04:00", 4)
    assert labels(moments) == [
        "11-02 01:00:00 EDT",
        "11-02 01:00:00 EST",
        "11-02 02:00:00 EST",
        "11-02 03:00:00 EST",
    ]
    assert set(gaps(moments)) == {3600}


def test_cron_daily_in_new_york_fall_back_runs_once_at_first_pass() -> None:
    moments = runs(CronTimes("15 1 * * *", NEW_YORK), "2025-11-01T12:00:00-04:00", 2)
    assert labels(moments) == ["11-02 01:15:00 EDT", "11-03 01:15:00 EST"]


def test_cron_weekday_morning_stays_at_nine_local_across_spring_forward() -> None:
    moments = runs(CronTimes("0 9 * * 1-5", NEW_YORK), "2025-03-06T12:00:00-05:00", 3)
    assert labels(moments) == ["03-07 09:00:00 EST", "03-10 09:00:00 EDT", "03-11 09:00:00 EDT"]
    assert [m.astimezone(UTC).hour for m in moments] == [14, 13, 13]


def test_cron_six_fields_put_seconds_first_and_keep_rhythm_across_fall_back() -> None:
    moments = runs(CronTimes("*/20 * * * * *", BERLIN), "2025-10-26T00:59:30+00:00", 4)
    assert labels(moments) == [
        "10-26 02:59:40 CEST",
        "10-26 02:00:00 CET",
        "10-26 02:00:20 CET",
        "10-26 02:00:40 CET",
    ]
    assert set(gaps(moments)) == {20}


def test_cron_aliases() -> None:
    moments = runs(CronTimes("@hourly", BERLIN), "2025-03-30T00:30:00+01:00", 3)
    assert labels(moments) == ["03-30 01:00:00 CET", "03-30 03:00:00 CEST", "03-30 04:00:00 CEST"]


def test_cron_previous_tick_across_fall_back() -> None:
    times = CronTimes("30 2 * * *", BERLIN)
    # Just after the second pass through 02:30: the last run was the first pass.
    after_second_pass = datetime(2025, 10, 26, 1, 45, tzinfo=UTC).timestamp()
    previous = datetime.fromtimestamp(times.previous(after_second_pass), BERLIN)
    assert previous.strftime("%m-%d %H:%M %Z") == "10-26 02:30 CEST"
    assert times.previous(previous.timestamp()) == int(previous.timestamp())


@pytest.mark.parametrize(
    "expression",
    ["61 * * * *", "* * * *", "* * * * * * *", "0 0 31 2 *", "every day", ""],
)
def test_invalid_cron_is_refused(expression: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        CronTimes(expression, BERLIN)


# Every: real time for s/m/h, local midnight for days.


def test_every_hour_is_real_time_across_spring_forward() -> None:
    moments = runs(EveryTimes("1h", BERLIN), "2025-03-29T23:30:00+01:00", 5)
    assert labels(moments) == [
        "03-30 00:00:00 CET",
        "03-30 01:00:00 CET",
        "03-30 03:00:00 CEST",
        "03-30 04:00:00 CEST",
        "03-30 05:00:00 CEST",
    ]
    assert set(gaps(moments)) == {3600}


def test_every_hour_is_real_time_across_fall_back() -> None:
    moments = runs(EveryTimes("1h", BERLIN), "2025-10-26T00:30:00+02:00", 4)
    assert labels(moments) == [
        "10-26 01:00:00 CEST",
        "10-26 02:00:00 CEST",
        "10-26 02:00:00 CET",
        "10-26 03:00:00 CET",
    ]
    assert set(gaps(moments)) == {3600}


def test_every_six_hours_counts_from_midnight_standard_time_in_new_york() -> None:
    moments = runs(EveryTimes("6h", NEW_YORK), "2025-03-08T20:00:00-05:00", 4)
    assert labels(moments) == [
        "03-09 00:00:00 EST",
        "03-09 07:00:00 EDT",
        "03-09 13:00:00 EDT",
        "03-09 19:00:00 EDT",
    ]
    assert set(gaps(moments)) == {6 * 3600}


def test_every_day_runs_at_local_midnight_across_both_changes() -> None:
    spring = runs(EveryTimes("1d", BERLIN), "2025-03-29T12:00:00+01:00", 3)
    assert labels(spring) == ["03-30 00:00:00 CET", "03-31 00:00:00 CEST", "04-01 00:00:00 CEST"]
    assert gaps(spring) == [23 * 3600, 24 * 3600]
    fall = runs(EveryTimes("1d", NEW_YORK), "2025-11-01T12:00:00-04:00", 3)
    assert labels(fall) == ["11-02 00:00:00 EDT", "11-03 00:00:00 EST", "11-04 00:00:00 EST"]
    assert gaps(fall) == [25 * 3600, 24 * 3600]


def test_every_day_where_midnight_does_not_exist_runs_when_the_day_starts() -> None:
    # Chile springs forward at midnight: 2025-09-07 starts at 01:00 -03.
    moments = runs(EveryTimes("1d", ZoneInfo("America/Santiago")), "2025-09-06T12:00:00-04:00", 2)
    assert labels(moments) == ["09-07 01:00:00 -03", "09-08 00:00:00 -03"]


def test_every_day_where_midnight_happens_twice_runs_once() -> None:
    # Cuba falls back at 01:00 to 00:00: midnight of 2025-11-02 comes twice.
    moments = runs(EveryTimes("1d", ZoneInfo("America/Havana")), "2025-11-01T12:00:00-04:00", 2)
    assert labels(moments) == ["11-02 00:00:00 CDT", "11-03 00:00:00 CST"]


def test_every_n_days_and_seconds() -> None:
    two_days = runs(EveryTimes("2d", BERLIN), "2025-01-01T12:00:00+01:00", 3)
    assert gaps(two_days) == [2 * 86400, 2 * 86400]
    assert {m.strftime("%H:%M") for m in two_days} == {"00:00"}
    seconds = runs(EveryTimes("30s", BERLIN), "2025-06-01T12:00:10+02:00", 3)
    assert labels(seconds) == ["06-01 12:00:30 CEST", "06-01 12:01:00 CEST", "06-01 12:01:30 CEST"]


@pytest.mark.parametrize("spec", ["0s", "1w", "1.5h", "h", "30", "-1m", "1 hour"])
def test_invalid_every_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="every"):
        EveryTimes(spec, BERLIN)


def test_latest_tick_finds_the_most_recent_missed_tick() -> None:
    times = EveryTimes("1h", BERLIN)
    start = datetime(2025, 3, 30, 0, 0, tzinfo=BERLIN).timestamp()
    upto = datetime(2025, 3, 30, 4, 30, tzinfo=BERLIN).timestamp()
    latest = latest_tick(times, upto, start)
    assert latest is not None
    assert datetime.fromtimestamp(latest, BERLIN).strftime("%H:%M %Z") == "04:00 CEST"
    assert latest_tick(times, upto, latest) is None
    assert latest_tick(CronTimes("0 0 1 1 *", BERLIN), upto, start) is None
