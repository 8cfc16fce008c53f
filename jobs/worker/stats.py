"""Processed/failed counters kept in memory and flushed with the heartbeat, as Sidekiq does."""

from __future__ import annotations

import threading


class Counters:
    """Thread-safe counts since the last flush; a failed flush gives its counts back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.processed = 0
        self.failed = 0

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
