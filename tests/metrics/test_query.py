"""Reading metrics back (jobs/metrics/query.py): windows, percentiles, hostile data."""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from jobs.metrics import layout, lifetime, read_window
from jobs.metrics.query import MAX_FIELDS
from jobs.metrics.tracker import Tracker, flush_commands

NOW = datetime(2026, 12, 6, 12, 30, 0, tzinfo=UTC).timestamp()


def flush(client: redis.Redis, tracker: Tracker, now: float) -> None:
    pipe = client.pipeline(transaction=True)
    flush_commands(pipe, tracker.take(), now)
    pipe.execute()


def known_durations(client: redis.Redis, now: float) -> None:
    tracker = Tracker()
    for seconds, times in ((0.010, 90), (0.200, 6), (3.0, 4)):
        for _ in range(times):
            tracker.record("app.Report", seconds, failed=False)
    for _ in range(5):
        tracker.record("app.Report", 60.0, failed=True)  # failures have no time
    tracker.record("app.Mail", 0.050, failed=False)
    flush(client, tracker, now)


def test_percentiles_of_known_durations_land_in_their_buckets(app_redis: redis.Redis) -> None:
    known_durations(app_redis, NOW)
    window = read_window(app_redis, NOW, 1)
    report, mail = window.classes
    assert (report.name, report.runs, report.failures, report.successes) == (
        "app.Report",
        105,
        5,
        100,
    )
    assert report.ms == 90 * 10 + 6 * 200 + 4 * 3000
    assert report.avg_ms == report.ms / 100
    assert [report.percentile(q) for q in (0.5, 0.95, 0.99)] == [0, 6, 13]
    assert [report.percentile_label(q) for q in (0.5, 0.95, 0.99)] == [
        "< 20ms",
        "< 225ms",
        "< 3.8s",
    ]
    assert mail.percentile_label(0.5) == "< 65ms"
    assert len(report.runs_series) == 60
    assert report.runs_series[-1] == 105
    assert report.failures_series[-1] == 5
    assert window.skipped == 0


def test_each_window_counts_its_own_hours(app_redis: redis.Redis) -> None:
    known_durations(app_redis, NOW - 2 * 3600)
    known_durations(app_redis, NOW - 30 * 3600)
    assert read_window(app_redis, NOW, 1).classes == []
    day = read_window(app_redis, NOW, 24)
    assert day.classes[0].runs == 105
    assert len(day.classes[0].runs_series) == 144
    three_days = read_window(app_redis, NOW, 72)
    assert three_days.classes[0].runs == 210
    assert three_days.classes[0].percentile(0.95) == 6
    assert read_window(app_redis, NOW, 5).hours == 1  # only the three windows exist


def test_lifetime_totals_for_prometheus(app_redis: redis.Redis) -> None:
    known_durations(app_redis, NOW - 2 * 3600)
    known_durations(app_redis, NOW)
    _mail, report = lifetime(app_redis).classes
    assert (report.runs, report.failures, sum(report.buckets)) == (210, 10, 200)


def test_hostile_hashes_are_bounded_and_checked(
    app_redis: redis.Redis, redis_client: redis.Redis
) -> None:
    minute = layout.minute_key(NOW)
    redis_client.hset(
        minute,
        mapping={
            "app.Ok|p": "3",
            "app.Ok|f": "-7",
            "app.Ok|ms": "not a number",
            "nobar": "5",
            "|p": "9",
            "x" * 300 + "|p": "1",
            "app.Huge|p": str(10**30),
            "app.Ok|zz": "1",
        },
    )
    redis_client.hset(
        layout.rollup_key(NOW), mapping={"app.Ok|99": "5", "app.Ok|2": "1", "app.Ok|-1": "1"}
    )
    redis_client.hset(
        layout.minute_key(NOW - 60), mapping={f"c{i}|p": 1 for i in range(MAX_FIELDS + 1)}
    )
    window = read_window(app_redis, NOW, 1)
    by_name = {m.name: m for m in window.classes}
    assert set(by_name) == {"app.Ok", "app.Huge"}
    ok = by_name["app.Ok"]
    assert (ok.runs, ok.failures, ok.ms, sum(ok.buckets), ok.buckets[2]) == (3, 0, 0, 1, 1)
    assert by_name["app.Huge"].runs == 10**15
    assert window.skipped == 1  # the hash too long to read
