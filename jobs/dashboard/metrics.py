"""Prometheus text exposition (format 0.0.4) of the numbers the dashboard shows."""

from __future__ import annotations

from collections.abc import Iterable

from jobs.api import Overview, QueueSummary

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# name, type, help, attribute of Overview
_TOTALS = [
    ("jobs_processed_total", "counter", "Jobs processed since the stats began (failures included).",
     "processed"),
    ("jobs_failed_total", "counter", "Jobs that failed since the stats began.", "failed"),
    ("jobs_processes", "gauge", "Worker processes with a live heartbeat.", "processes"),
    ("jobs_busy", "gauge", "Jobs running now, over all processes.", "busy"),
    ("jobs_enqueued", "gauge", "Jobs waiting in all queues.", "enqueued"),
]  # fmt: skip
_SETS = [("schedule", "scheduled"), ("retry", "retries"), ("dead", "dead")]


def label(value: str) -> str:
    """A label value escaped as the format requires (backslash, quote, newline)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, kind: str, help_text: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]


def render(numbers: Overview, queues: list[QueueSummary]) -> str:
    """The whole exposition text, ending with a newline."""
    lines: list[str] = []
    for name, kind, help_text, attribute in _TOTALS:
        lines += _family(name, kind, help_text, [f"{name} {getattr(numbers, attribute)}"])
    lines += _family(
        "jobs_set_size",
        "gauge",
        "Jobs in the schedule, retry and dead sorted sets.",
        (f'jobs_set_size{{set="{key}"}} {getattr(numbers, attr)}' for key, attr in _SETS),
    )
    lines += _family(
        "jobs_queue_size",
        "gauge",
        "Jobs waiting in each queue.",
        (f'jobs_queue_size{{queue="{label(q.name)}"}} {q.size}' for q in queues),
    )
    lines += _family(
        "jobs_queue_latency_seconds",
        "gauge",
        "Seconds the oldest job of each queue has waited.",
        (f'jobs_queue_latency_seconds{{queue="{label(q.name)}"}} {q.latency:.3f}' for q in queues),
    )
    return "\n".join(lines) + "\n"
