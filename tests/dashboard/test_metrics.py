"""Prometheus exposition format details."""

from __future__ import annotations

import re

from jobs.api import Overview, QueueSummary
from jobs.dashboard.metrics import label, render
from jobs.metrics import ClassMetrics, Lifetime

LABEL = r'\w+="([^"\\]|\\.)*"'
LINE = re.compile(rf"^(# (HELP|TYPE) \w+ .+|\w+(\{{{LABEL}(,{LABEL})*\}})? -?[0-9.]+)$")


def test_every_line_is_valid_exposition_text() -> None:
    numbers = Overview(10, 2, 1, 5, 3, 2, 1, 1)
    queues = [QueueSummary('we"ird\\q\nx', 4, 1.5), QueueSummary("default", 1, 0)]
    text = render(numbers, queues, Lifetime([], False))
    assert text.endswith("\n")
    for line in text.splitlines():
        assert LINE.match(line), line
    assert 'jobs_queue_size{queue="we\\"ird\\\\q\\nx"} 4' in text
    families = re.findall(r"# TYPE (\w+) (\w+)", text)
    assert dict(families) == {
        "jobs_processed_total": "counter", "jobs_failed_total": "counter", "jobs_processes": "gauge",
        "jobs_busy": "gauge", "jobs_enqueued": "gauge", "jobs_set_size": "gauge",
        "jobs_queue_size": "gauge", "jobs_queue_latency_seconds": "gauge",
        "jobs_class_runs_total": "counter", "jobs_class_failures_total": "counter",
        "jobs_class_duration_seconds": "histogram",
    }  # fmt: skip


def test_per_class_counters_and_a_cumulative_duration_histogram() -> None:
    report = ClassMetrics("app.Report", runs=12, failures=2, ms=4500)
    report.buckets[0], report.buckets[6], report.buckets[25] = 7, 2, 1
    text = render(Overview(0, 0, 0, 0, 0, 0, 0, 0), [], Lifetime([report], False))
    for line in text.splitlines():
        assert LINE.match(line.replace("+Inf", "1")), line
    assert 'jobs_class_runs_total{class="app.Report"} 12' in text
    assert 'jobs_class_failures_total{class="app.Report"} 2' in text
    assert 'jobs_class_duration_seconds_bucket{class="app.Report",le="0.02"} 7' in text
    assert 'jobs_class_duration_seconds_bucket{class="app.Report",le="0.15"} 7' in text
    assert 'jobs_class_duration_seconds_bucket{class="app.Report",le="0.225"} 9' in text
    assert 'jobs_class_duration_seconds_bucket{class="app.Report",le="335"} 9' in text
    assert 'jobs_class_duration_seconds_bucket{class="app.Report",le="+Inf"} 10' in text
    assert 'jobs_class_duration_seconds_sum{class="app.Report"} 4.500' in text
    assert 'jobs_class_duration_seconds_count{class="app.Report"} 10' in text


def test_label_escaping() -> None:
    assert label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
