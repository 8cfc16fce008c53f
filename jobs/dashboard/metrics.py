"""Prometheus text exposition (format 0.0.4) of the numbers the dashboard shows.

Per job class (jobs.metrics, `jobs:metrics:totals`): runs and failures as counters, and
the successful runs' time as a histogram on Sidekiq's bucket bounds.
"""

from __future__ import annotations

from collections.abc import Iterable

from jobs.api import Overview, QueueSummary
from jobs.metrics import Lifetime
from jobs.metrics.layout import BUCKETS_MS

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


def _classes(classes: Lifetime) -> list[str]:
    """Counters per class and the duration histogram (cumulative, as Prometheus wants)."""
    rows = classes.classes
    lines = _family(
        "jobs_class_runs_total",
        "counter",
        "Runs per job class (failures included).",
        (f'jobs_class_runs_total{{class="{label(m.name)}"}} {m.runs}' for m in rows),
    )
    lines += _family(
        "jobs_class_failures_total",
        "counter",
        "Failed runs per job class.",
        (f'jobs_class_failures_total{{class="{label(m.name)}"}} {m.failures}' for m in rows),
    )
    samples: list[str] = []
    name = "jobs_class_duration_seconds"
    for m in rows:
        cls, seen = label(m.name), 0
        for bound, count in zip(BUCKETS_MS, m.buckets, strict=True):
            seen += count
            le = "+Inf" if bound >= 1e20 else f"{bound / 1000:g}"
            samples.append(f'{name}_bucket{{class="{cls}",le="{le}"}} {seen}')
        samples.append(f'{name}_sum{{class="{cls}"}} {m.ms / 1000:.3f}')
        samples.append(f'{name}_count{{class="{cls}"}} {seen}')
    help_text = "Time of the successful runs per job class (Sidekiq's buckets)."
    return lines + _family(name, "histogram", help_text, samples)


def render(numbers: Overview, queues: list[QueueSummary], classes: Lifetime) -> str:
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
    lines += _classes(classes)
    return "\n".join(lines) + "\n"
