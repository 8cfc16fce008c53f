"""Processed/failed counters kept in memory and flushed with the heartbeat, as Sidekiq does.

Per-class metrics (jobs.metrics) ride along: `ran()` sums them, the heartbeat flushes them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from jobs.metrics.tracker import Tracker, class_of


class Counters:
    """Thread-safe counts since the last flush; a failed flush gives its counts back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.processed = 0
        self.failed = 0
        self.metrics = Tracker()

    def ran(self, payload: Mapping[str, Any], seconds: float, failed: bool = False) -> None:
        """Count one run in the per-class metrics (no Redis: the heartbeat flushes them)."""
        self.metrics.record(class_of(payload), seconds, failed)

    def add(self, processed: int = 0, failed: int = 0) -> None:
        with self._lock:
            self.processed += processed
            self.failed += failed

    def take(self) -> tuple[int, int]:
        """Return and zero the counts (give them back with `add` if the flush fails)."""
        with self._lock:
            counts = (self.processed, self.failed)
            self.processed = self.failed = 0
            return counts
