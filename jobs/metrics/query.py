"""Read the metrics back: a window of 1, 24 or 72 hours, or the totals since the start.

Everything read is untrusted: a hash longer than MAX_FIELDS is skipped (and said),
at most MAX_CLASSES classes are kept, numbers are parsed and clamped, names bounded.
Counts come from Sidekiq's own hashes as its Query reads them (1 hour: 60 minutely
hashes; more: six 10-minute hashes an hour); percentiles from our 10-minute
histograms over the same hours, as the upper bound of the bucket they fall in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import redis

from jobs.metrics import layout

WINDOWS = (1, 24, 72)  # hours
MAX_FIELDS = 20_000  # a longer hash is not read
MAX_CLASSES = 500
MAX_VALUE = 10**15
NAME_CHARS = 200


@dataclass
class ClassMetrics:
    """One class over a window: counts, time, histogram and a series (oldest first)."""

    name: str
    runs: int = 0
    failures: int = 0
    ms: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * len(layout.BUCKETS_MS))
    runs_series: list[int] = field(default_factory=list)
    failures_series: list[int] = field(default_factory=list)

    @property
    def successes(self) -> int:
        """Runs that did not fail (the ones whose time is counted)."""
        return max(0, self.runs - self.failures)

    @property
    def avg_seconds(self) -> float:
        """Average time of a successful run in seconds."""
        return self.avg_ms / 1000

    @property
    def percentile_label_50(self) -> str:
        """The median's bucket, for templates."""
        return self.percentile_label(0.50)

    @property
    def percentile_label_95(self) -> str:
        """The 95th percentile's bucket, for templates."""
        return self.percentile_label(0.95)

    @property
    def percentile_label_99(self) -> str:
        """The 99th percentile's bucket, for templates."""
        return self.percentile_label(0.99)

    @property
    def seconds(self) -> float:
        """Total time of the successful runs in seconds."""
        return self.ms / 1000

    @property
    def avg_ms(self) -> float:
        """Average time of a successful run in ms (0 without one)."""
        return self.ms / self.successes if self.successes else 0.0

    def percentile(self, share: float) -> int | None:
        """The bucket holding the `share` quantile of the timed runs (None without runs)."""
        total = sum(self.buckets)
        if not total:
            return None
        seen = 0
        for index, count in enumerate(self.buckets):
            seen += count
            if seen >= share * total:
                return index
        return len(self.buckets) - 1

    def percentile_label(self, share: float) -> str:
        """`< 100ms`: the bucket bound of a percentile, as Sidekiq labels it; "-" if none."""
        index = self.percentile(share)
        if index is None:
            return "—"
        return (
            layout.LABELS[index] if index == len(layout.LABELS) - 1 else f"< {layout.LABELS[index]}"
        )


@dataclass
class MetricsWindow:
    """Every class seen in a window."""

    hours: int
    step: int  # seconds per point of the series
    classes: list[ClassMetrics]
    skipped: int  # hashes too long to read, or classes over MAX_CLASSES


@dataclass
class Lifetime:
    """Counts since the start, per class (for Prometheus)."""

    classes: list[ClassMetrics]
    skipped: bool


def number(raw: Any) -> int:
    """A stored count as a non-negative int (0 when unreadable), clamped."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return 0
    return max(0, min(MAX_VALUE, value))


def split_field(raw: bytes) -> tuple[str, str] | None:
    """`<Class>|<metric>` into its parts, or None when malformed."""
    name, sep, metric = raw.decode("utf-8", "replace").rpartition("|")
    if not sep or not name or len(name) > NAME_CHARS or len(metric) > 4:
        return None
    return name, metric


def bounded_hashes(client: redis.Redis, names: list[str]) -> tuple[list[dict[bytes, bytes]], int]:
    """HGETALL of each key no longer than MAX_FIELDS ({} for the others), and how many were skipped."""
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hlen(name)
    lengths = [number(n) for n in pipe.execute()]
    pipe = client.pipeline(transaction=False)
    wanted = [name for name, size in zip(names, lengths, strict=True) if 0 < size <= MAX_FIELDS]
    for name in wanted:
        pipe.hgetall(name)
    found = dict(zip(wanted, cast(list[dict[bytes, bytes]], pipe.execute()), strict=True))
    skipped = sum(1 for size in lengths if size > MAX_FIELDS)
    return [found.get(name, {}) for name in names], skipped


class _Classes(dict[str, ClassMetrics]):
    """Classes by name, at most MAX_CLASSES of them."""

    def __init__(self, points: int) -> None:
        super().__init__()
        self.points = points
        self.dropped = 0

    def get_class(self, name: str) -> ClassMetrics | None:
        found = self.get(name)
        if found is None:
            if len(self) >= MAX_CLASSES:
                self.dropped += 1
                return None
            found = self[name] = ClassMetrics(name, runs_series=[0] * self.points)
            found.failures_series = [0] * self.points
        return found

    def add_counts(self, point: int, fields: dict[bytes, bytes]) -> None:
        for raw, value in fields.items():
            parts = split_field(raw)
            if parts is None or parts[1] not in ("p", "f", "ms"):
                continue
            metrics = self.get_class(parts[0])
            if metrics is None:
                continue
            count = number(value)
            if parts[1] == "p":
                metrics.runs += count
                metrics.runs_series[point] += count
            elif parts[1] == "f":
                metrics.failures += count
                metrics.failures_series[point] += count
            else:
                metrics.ms += count

    def add_buckets(self, fields: dict[bytes, bytes]) -> None:
        for raw, value in fields.items():
            parts = split_field(raw)
            if parts is None or not parts[1].isdigit() or int(parts[1]) >= len(layout.BUCKETS_MS):
                continue
            metrics = self.get(parts[0])  # only classes with counts
            if metrics is not None:
                metrics.buckets[int(parts[1])] += number(value)


def read_window(client: redis.Redis, now: float, hours: int) -> MetricsWindow:
    """Every class's metrics over the last `hours` (1, 24 or 72) up to `now`."""
    hours = hours if hours in WINDOWS else WINDOWS[0]
    step = layout.MINUTE if hours == 1 else layout.TEN_MINUTES
    points = hours * 3600 // step
    count_keys = [
        (layout.minute_key if hours == 1 else layout.ten_minute_key)(now - i * step)
        for i in range(points)
    ]
    rollups = [layout.rollup_key(now - i * layout.TEN_MINUTES) for i in range(hours * 6)]
    hashes, skipped = bounded_hashes(client, count_keys + rollups)
    classes = _Classes(points)
    for i, fields in enumerate(hashes[:points]):
        classes.add_counts(points - 1 - i, fields)  # the series runs oldest first
    for fields in hashes[points:]:
        classes.add_buckets(fields)
    ordered = sorted(classes.values(), key=lambda m: (-m.runs, m.name))
    return MetricsWindow(hours, step, ordered, skipped + classes.dropped)


def lifetime(client: redis.Redis) -> Lifetime:
    """Every class's counts and histogram since the start (`jobs:metrics:totals`)."""
    (fields,), skipped = bounded_hashes(client, [layout.TOTALS])
    classes = _Classes(1)
    classes.add_counts(0, fields)
    classes.add_buckets(fields)
    return Lifetime(
        sorted(classes.values(), key=lambda m: m.name), bool(skipped or classes.dropped)
    )
