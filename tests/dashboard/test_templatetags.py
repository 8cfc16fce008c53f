"""Relative times with the exact time on hover, durations and sizes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.utils import translation

from jobs.api.records import JobRecord
from jobs.api.redact import MAIL_JOB
from jobs.templatetags.jobs_dashboard import (
    duration,
    job_name,
    kilobytes,
    name_parts,
    number,
    queue_url,
    shown_args,
    when,
)


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


def test_sizes_and_numbers_in_the_active_language() -> None:
    with translation.override("de"):
        assert number(1234567) == "1.234.567"
        assert kilobytes(1536) == "1,5 MB"
    with translation.override("fr"):
        assert number(1234) == "1\xa0234"
        assert kilobytes(3 * 1024 * 1024) == "3,0 GB"
    with translation.override("en"):
        assert number(1234) == "1,234"


def test_queue_url() -> None:
    assert queue_url("default") == "/admin/jobs/queues/default"
    assert queue_url("a/b c") == "/admin/jobs/queues/a/b%20c"
    assert queue_url("bad\nname") == queue_url("") == ""


def record(**fields: object) -> JobRecord:
    return JobRecord(json.dumps({"jid": "abc", "queue": "default", "args": [], **fields}))


def test_job_names_are_short_with_the_module_apart() -> None:
    assert name_parts(record(**{"class": "myapp.jobs.MoodSenderJob"})) == (
        "myapp.jobs.",
        "MoodSenderJob",
    )
    assert name_parts(record(**{"class": "Billing::ChargeJob"})) == ("Billing::", "ChargeJob")
    assert name_parts(record(**{"class": "Plain"})) == ("", "Plain")
    task = record(**{"class": "jobs.tasks.TaskJob", "display_class": "myapp.tasks.rebuild"})
    assert name_parts(task) == ("myapp.tasks.", "rebuild")
    mail = record(
        **{"class": MAIL_JOB, "args": ["myapp.mailers.MoodMailer", "mood", [1], "de", {"k": 2}]}
    )
    assert name_parts(mail) == ("myapp.mailers.", "MoodMailer.mood")
    assert shown_args(mail) == '[1, {"k": 2}]'  # the mailer method's own arguments
    hostile = record(**{"class": "a.<script>x</script>"})
    assert "<script>" not in job_name(hostile)
    assert "&lt;script&gt;" in job_name(hostile)


def test_durations_in_the_active_language() -> None:
    with translation.override("de"):
        assert duration(125) == "2 Min."
        assert duration(5 * 86400) == "5 Tage"
        now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
        assert ">vor 3 Min.<" in when(now - timedelta(minutes=3), now)
    with translation.override("fr"):
        assert ">dans 10 s<" in when(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=10),
                                     datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
