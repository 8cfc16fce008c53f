"""Sidekiq's metrics key names and buckets (jobs/metrics/layout.py), against Sidekiq 8.1.

Expected names are built here with the strftime patterns of Sidekiq's Ruby source
(glibc's strftime knows `%-H` as Ruby does), not with the functions under test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.metrics import layout


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    "when",
    ["2025-02-14T08:43:59", "2025-02-04T08:05:00", "2026-12-06T00:00:01", "2026-01-31T23:59:30"],
)
def test_key_names_are_the_ones_sidekiq_8_writes(when: str) -> None:
    now = at(when)
    t = datetime.fromtimestamp(now, UTC)
    # tracking.rb: nowshort = now.strftime("%y%m%d|%-H:%M"); nowmid = nowshort[0..-2]
    assert layout.minute_key(now) == "j|" + t.strftime("%y%m%d|%-H:%M")
    assert layout.ten_minute_key(now) == "j|" + t.strftime("%y%m%d|%-H:%M")[:-1]
    # query.rb's hourly rollup: the minute's first digit, "0" below ten
    mins = "0" if t.minute < 10 else str(t.minute)[0]
    assert layout.ten_minute_key(now) == t.strftime(f"j|%y%m%d|%-H:{mins}")
    # shared.rb: window = now.utc.strftime("%-d-%-H:%-M"); key = "h|#{klass}-#{window}"
    assert layout.histogram_key("app.jobs.Mail", now) == "h|app.jobs.Mail-" + t.strftime(
        "%-d-%-H:%-M"
    )


@pytest.mark.parametrize("when", ["2025-02-04T08:05:00", "2026-12-16T13:45:59"])
def test_key_names_of_sidekiq_7(when: str) -> None:
    now = at(when)
    t = datetime.fromtimestamp(now, UTC)
    # 7.x tracking.rb: nowmin = now.strftime("%Y%m%d|%-H:%-M"); shared.rb: "%d-%H:%-M"
    assert layout.sidekiq7_minute_key(now) == "j|" + t.strftime("%Y%m%d|%-H:%-M")
    assert layout.sidekiq7_histogram_key("app.Mail", now) == "app.Mail-" + t.strftime("%d-%H:%-M")


def test_the_examples_of_sidekiqs_comments() -> None:
    now = at("2025-02-14T08:43:00")
    assert layout.ten_minute_key(now) == "j|250214|8:4"  # "the 10 minute bucket"
    assert layout.minute_key(now) == "j|250214|8:43"  # "the 1 minute bucket"
    assert layout.rollup_key(now) == "jobs:metrics:h|250214|8:4"


@pytest.mark.parametrize(
    ("ms", "index"),
    [
        (0, 0),
        (19, 0),
        (20, 1),
        (280, 7),
        (334, 7),
        (335, 8),
        (334_999, 24),
        (335_000, 25),
        (10**9, 25),
    ],
)
def test_buckets_follow_sidekiqs_bounds(ms: int, index: int) -> None:
    # shared.rb: "if a job takes 280ms, it'll increment bucket[7]"
    assert layout.bucket(ms) == index


def test_26_buckets_and_labels_and_ttls_as_in_sidekiq() -> None:
    assert len(layout.BUCKETS_MS) == len(layout.LABELS) == 26
    assert layout.LABELS[7] == "335ms"
    assert layout.LABELS[-1] == "Slow"
    assert (layout.SHORT_TERM, layout.MID_TERM, layout.HISTOGRAM_TTL) == (28800, 259200, 28800)
