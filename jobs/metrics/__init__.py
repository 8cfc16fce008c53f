"""Execution metrics per job class, in Sidekiq 7+'s metrics keys (its Metrics tab reads them).

- `layout`: the key names, TTLs and histogram buckets, copied from Sidekiq 8.1
  (`lib/sidekiq/metrics/{tracking,shared,query}.rb`), and our private rollups.
- `tracker`: what the worker sums in memory per job, and the commands that flush it
  with the heartbeat's MULTI (no Redis work per job, like Sidekiq's tracker flush).
- `query`: what the dashboard and the Prometheus exporter read back, bounded and
  checked: runs, failures, time, percentiles and a series per class.
"""

from __future__ import annotations

from jobs.metrics.query import ClassMetrics, Lifetime, MetricsWindow, lifetime, read_window
from jobs.metrics.tracker import Tally, Tracker, flush_commands

__all__ = [
    "ClassMetrics",
    "Lifetime",
    "MetricsWindow",
    "Tally",
    "Tracker",
    "flush_commands",
    "lifetime",
    "read_window",
]
