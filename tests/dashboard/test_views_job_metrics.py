"""The Metrics page (jobs/dashboard/views/job_metrics.py), read from flushed metrics."""

from __future__ import annotations

import time

import redis
from django.test import Client

from jobs.metrics import Tracker, flush_commands


def flush(r: redis.Redis, tracker: Tracker, now: float) -> None:
    pipe = r.pipeline(transaction=True)
    flush_commands(pipe, tracker.take(), now)
    pipe.execute()


def test_the_page_shows_each_class_and_its_percentiles(
    staff_client: Client, r: redis.Redis
) -> None:
    tracker = Tracker()
    for _ in range(98):
        tracker.record("app.jobs.ReportJob", 0.010, failed=False)
    for _ in range(2):
        tracker.record("app.jobs.ReportJob", 2.0, failed=False)
    tracker.record("app.jobs.ReportJob", 1.0, failed=True)
    tracker.record("app.jobs.<i>MailJob</i>", 0.2, failed=False)
    flush(r, tracker, time.time())
    body = staff_client.get("/admin/jobs/job-metrics/").content.decode()
    assert "app.<wbr>jobs.<wbr>ReportJob" in body
    assert "&lt;i&gt;MailJob&lt;/i&gt;" in body
    assert "<i>MailJob" not in body
    row = body.split("ReportJob", 1)[1].split("</tr>", 1)[0]
    assert ">101<" in row
    assert ">1<" in row
    assert "5.0 s" in row  # 98 x 10 ms + 2 x 2 s = 4.98 s
    assert "49.8 ms" in row  # average of the 100 successes
    assert row.count("&lt; 20ms") == 2
    assert "&lt; 2.5s" in row
    assert row.count("<rect") >= 2


def test_windows_and_an_empty_page(staff_client: Client, r: redis.Redis) -> None:
    tracker = Tracker()
    tracker.record("app.jobs.OldJob", 0.01, failed=False)
    flush(r, tracker, time.time() - 5 * 3600)
    assert (
        "No job ran in this window" in staff_client.get("/admin/jobs/job-metrics/").content.decode()
    )
    body = staff_client.get("/admin/jobs/job-metrics/?hours=24").content.decode()
    assert "OldJob" in body
    assert "<strong>24 h</strong>" in body
    assert staff_client.get("/admin/jobs/job-metrics/?hours=999999").status_code == 200
