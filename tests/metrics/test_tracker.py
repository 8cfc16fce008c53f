"""The in-memory tracker and its flush (jobs/metrics/tracker.py), written to real Redis."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import redis

from jobs.metrics import layout
from jobs.metrics.tracker import MAX_CLASSES, Tracker, class_of, flush_commands

NOW = datetime(2026, 12, 6, 0, 5, 30, tzinfo=UTC).timestamp()
FETCH = [part for i in range(26) for part in ("GET", "u16", f"#{i}")]


def flush(client: redis.Redis, tracker: Tracker, now: float = NOW) -> None:
    pipe = client.pipeline(transaction=True)
    flush_commands(pipe, tracker.take(), now)
    pipe.execute()


def test_a_flush_writes_sidekiqs_hashes_and_histograms(
    app_redis: redis.Redis, redis_client: redis.Redis
) -> None:
    tracker = Tracker()
    for seconds in (0.010, 0.010, 0.280):
        tracker.record("app.Mail", seconds, failed=False)
    tracker.record("app.Mail", 9.0, failed=True)  # a failure: counted, not timed
    tracker.record("app.Report", 1.0, failed=False)
    flush(app_redis, tracker)

    for key in ("j|261206|0:05", "j|261206|0:0", "j|20261206|0:5"):  # Sidekiq 8, and 7
        assert redis_client.hgetall(key) == {
            b"app.Mail|p": b"4",
            b"app.Mail|f": b"1",
            b"app.Mail|ms": b"300",
            b"app.Report|p": b"1",
            b"app.Report|ms": b"1000",
        }
    assert 28790 < redis_client.ttl("j|261206|0:05") <= 28800
    assert 259190 < redis_client.ttl("j|261206|0:0") <= 259200
    # shared.rb's FETCH, as Sidekiq's Query reads a class's minute
    mail = redis_client.execute_command("BITFIELD_RO", "h|app.Mail-6-0:5", *FETCH)
    assert mail[0] == 2
    assert mail[7] == 1
    assert sum(mail) == 3
    report = redis_client.execute_command("BITFIELD_RO", "h|app.Report-6-0:5", *FETCH)
    assert report[10] == 1
    assert sum(report) == 1
    assert 28790 < redis_client.ttl("h|app.Mail-6-0:5") <= 28800
    assert redis_client.execute_command("BITFIELD_RO", "app.Mail-06-00:5", *FETCH) == mail
    assert 28790 < redis_client.ttl("app.Mail-06-00:5") <= 28800
    assert 28790 < redis_client.ttl("j|20261206|0:5") <= 28800
    assert redis_client.hgetall(layout.rollup_key(NOW)) == {
        b"app.Mail|0": b"2",
        b"app.Mail|7": b"1",
        b"app.Report|10": b"1",
    }
    assert redis_client.hget(layout.TOTALS, "app.Mail|p") == b"4"
    assert redis_client.ttl(layout.TOTALS) == -1  # counters for Prometheus never expire


def test_flushes_add_up_and_nothing_is_written_without_runs(
    app_redis: redis.Redis, redis_client: redis.Redis
) -> None:
    tracker = Tracker()
    flush(app_redis, tracker)
    assert redis_client.dbsize() == 0
    for _ in range(2):
        tracker.record("app.Mail", 0.001, failed=False)
        flush(app_redis, tracker)
    assert redis_client.hget("j|261206|0:05", "app.Mail|p") == b"2"


def test_a_failed_flush_gives_the_counts_back() -> None:
    tracker = Tracker()
    tracker.record("app.Mail", 0.05, failed=False)
    taken = tracker.take()
    tracker.record("app.Mail", 0.05, failed=True)
    tracker.restore(taken)
    [(name, tally)] = tracker.take().items()
    assert (name, tally.runs, tally.failures, tally.ms, tally.buckets[3]) == (
        "app.Mail",
        2,
        1,
        50,
        1,
    )


def test_threads_lose_no_count() -> None:
    tracker = Tracker()

    def work() -> None:
        for _ in range(2000):
            tracker.record("app.Mail", 0.001, failed=False)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tracker.take()["app.Mail"].runs == 8000


def test_names_are_sidekiqs_and_bounded() -> None:
    assert class_of({"class": "a.B"}) == "a.B"
    assert class_of({"class": "Wrapper", "wrapped": "app.Mailer.mood"}) == "app.Mailer.mood"
    assert class_of({"class": "a.B", "wrapped": "x" * 500}) == "a.B"
    assert class_of({"class": "a\nB"}) is None
    tracker = Tracker()
    for i in range(MAX_CLASSES + 5):
        tracker.record(f"c{i}", 0, failed=False)
    tracker.record(None, 0, failed=False)
    assert len(tracker.take()) == MAX_CLASSES
