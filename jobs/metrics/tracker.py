"""Per-class counts summed in memory by the worker and flushed with the heartbeat.

1. `Tracker.record` runs in the processor thread after each job: a lock and a few
   additions, no Redis. Like Sidekiq's ExecutionTracker, a failure counts a run and a
   failure but no time (failures take unpredictable times), a success its time.
2. `Tracker.take` hands the sums to the heartbeat, which adds `flush_commands` to its
   MULTI; when that write fails the heartbeat gives them back (`Tracker.restore`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobs.metrics import layout

MAX_CLASSES = 1000  # distinct classes between two flushes; more are not tracked
MAX_NAME = 200


@dataclass(slots=True)
class ClassTally:
    """One class's runs since the last flush."""

    runs: int = 0
    failures: int = 0
    ms: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * len(layout.BUCKETS_MS))

    def merge(self, other: ClassTally) -> None:
        self.runs += other.runs
        self.failures += other.failures
        self.ms += other.ms
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]


Tally = dict[str, ClassTally]


def class_of(payload: Mapping[str, Any]) -> str | None:
    """The name Sidekiq tracks a job under: `wrapped` (ActiveJob, tasks) or `class`."""
    for name in (payload.get("wrapped"), payload.get("class")):
        if type(name) is str and 0 < len(name) <= MAX_NAME and name.isprintable():
            return name
    return None


class Tracker:
    """Thread-safe per-class sums since the last flush."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._classes: Tally = {}

    def record(self, klass: str | None, seconds: float, failed: bool) -> None:
        """Count one run of `klass` that took `seconds` (its time only if it succeeded)."""
        if klass is None:
            return
        ms = max(0, int(seconds * 1000))
        with self._lock:
            tally = self._classes.get(klass)
            if tally is None:
                if len(self._classes) >= MAX_CLASSES:
                    return
                tally = self._classes[klass] = ClassTally()
            tally.runs += 1
            if failed:
                tally.failures += 1
            else:
                tally.ms += ms
                tally.buckets[layout.bucket(ms)] += 1

    def take(self) -> Tally:
        """Return and forget the sums (give them back with `restore` if the flush fails)."""
        with self._lock:
            taken, self._classes = self._classes, {}
            return taken

    def restore(self, tally: Tally) -> None:
        """Add back sums whose flush failed."""
        with self._lock:
            for klass, counts in tally.items():
                mine = self._classes.setdefault(klass, ClassTally())
                mine.merge(counts)


def flush_commands(pipe: Any, tally: Tally, now: float) -> None:
    """Add the commands that write `tally` at time `now` to `pipe` (nothing if empty)."""
    if not tally:
        return
    hashes = (
        (layout.minute_key(now), layout.SHORT_TERM),
        (layout.ten_minute_key(now), layout.MID_TERM),
        (layout.sidekiq7_minute_key(now), layout.SHORT_TERM),
        (layout.TOTALS, None),
    )
    rollup = layout.rollup_key(now)
    for klass, counts in tally.items():
        for key, _ in hashes:
            for metric, value in _fields(counts).items():
                pipe.hincrby(key, layout.field(klass, metric), value)
        increments: list[Any] = []
        for index, value in enumerate(counts.buckets):
            if value:
                increments += ["INCRBY", "u16", f"#{index}", value]
                pipe.hincrby(rollup, layout.field(klass, index), value)
                pipe.hincrby(layout.TOTALS, layout.field(klass, index), value)
        if increments:
            for gram in (
                layout.histogram_key(klass, now),
                layout.sidekiq7_histogram_key(klass, now),
            ):
                pipe.execute_command("BITFIELD", gram, "OVERFLOW", "SAT", *increments)
                pipe.expire(gram, layout.HISTOGRAM_TTL)
    for key, ttl in hashes:
        if ttl is not None:
            pipe.expire(key, ttl)
    pipe.expire(rollup, layout.ROLLUP_TTL)


def _fields(counts: ClassTally) -> dict[str, int]:
    """The hash fields Sidekiq writes: `p` always, `f` if any failed, `ms` if any succeeded."""
    fields = {"p": counts.runs}
    if counts.failures:
        fields["f"] = counts.failures
    if counts.runs > counts.failures:
        fields["ms"] = counts.ms
    return fields
