"""Relative times with the exact time on hover, durations and sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobs.templatetags.jobs_dashboard import duration, kilobytes, number, queue_url, when


def test_duration() -> None:
    assert duration(0) == "0 s"
    assert duration(59.9) == "59 s"
    assert duration(125) == "2 min"
    assert duration(3 * 3600) == "3 h"
    assert duration(86400) == "1 day"
    assert duration(5 * 86400) == "5 days"
    assert duration(None) == duration("junk") == duration(float("inf")) == "—"


def test_when() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    past = when(now - timedelta(minutes=3), now)
    assert (
        past
        == '<time datetime="2026-11-22T11:57:00+00:00" title="2026-11-22 11:57:00 UTC">3 min ago</time>'
    )
    assert ">in 10 s<" in when(now + timedelta(seconds=10), now)
    assert when(None) == "—"


def test_sizes_and_numbers() -> None:
    assert kilobytes(51200) == "50.0 MB"
    assert kilobytes(3 * 1024 * 1024) == "3.0 GB"
    assert kilobytes(None) == "—"
    assert number(1234567) == "1,234,567"


def test_queue_url() -> None:
    assert queue_url("default") == "/admin/jobs/queues/default"
    assert queue_url("a/b c") == "/admin/jobs/queues/a/b%20c"
    assert queue_url("bad\nname") == queue_url("") == ""
