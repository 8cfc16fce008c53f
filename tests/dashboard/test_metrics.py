"""Prometheus exposition format details."""

from __future__ import annotations

import re

from jobs.api import Overview, QueueSummary
from jobs.dashboard.metrics import label, render

LINE = re.compile(r'^(# (HELP|TYPE) \w+ .+|\w+(\{\w+="([^"\\]|\\.)*"\})? -?[0-9.]+)$')


def test_every_line_is_valid_exposition_text() -> None:
    numbers = Overview(10, 2, 1, 5, 3, 2, 1, 1)
    text = render(numbers, [QueueSummary('we"ird\\q\nx', 4, 1.5), QueueSummary("default", 1, 0)])
    assert text.endswith("\n")
    for line in text.splitlines():
        assert LINE.match(line), line
    assert 'jobs_queue_size{queue="we\\"ird\\\\q\\nx"} 4' in text
    families = re.findall(r"# TYPE (\w+) (\w+)", text)
    assert dict(families) == {
        "jobs_processed_total": "counter", "jobs_failed_total": "counter", "jobs_processes": "gauge",
        "jobs_busy": "gauge", "jobs_enqueued": "gauge", "jobs_set_size": "gauge",
        "jobs_queue_size": "gauge", "jobs_queue_latency_seconds": "gauge",
    }  # fmt: skip


def test_label_escaping() -> None:
    assert label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
