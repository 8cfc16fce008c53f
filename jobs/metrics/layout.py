"""Sidekiq's metrics keys, exactly as Sidekiq 8.1 writes and reads them, and ours beside.

Sidekiq (lib/sidekiq/metrics/tracking.rb, shared.rb, query.rb), all times UTC:
- `j|<yymmdd>|<H>:<MM>`: a hash per minute, fields `<Class>|p` (runs), `<Class>|f`
  (failures), `<Class>|ms` (milliseconds of the successful runs); kept 8 hours.
- `j|<yymmdd>|<H>:<M>`: the same per 10 minutes (the minute's first digit), kept 3 days.
- `h|<Class>-<d>-<H>:<M>`: a histogram per class and minute, 26 BITFIELD `u16`
  counters (OVERFLOW SAT) of run times below each bound of BUCKETS_MS; kept 8 hours.
Sidekiq 7.0 to 7.3 read an older layout, written beside it so their Metrics tab works too:
- `j|<yyyymmdd>|<H>:<M>`: the minutely hash (nothing padded but the date), kept 8 hours;
- `<Class>-<dd>-<HH>:<M>`: the histogram (day and hour padded), kept 8 hours.
Ours, private, under `jobs:`:
- `jobs:metrics:h|<yymmdd>|<H>:<M>`: the histograms per 10 minutes (fields
  `<Class>|<bucket>`), kept 3 days: Sidekiq keeps its own only 8 hours, too short for
  percentiles over 24 h and 72 h.
- `jobs:metrics:totals`: counts since the start (fields `<Class>|p`, `|f`, `|ms`,
  `|<bucket>`), never expiring: Prometheus counters must not go down.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime

from jobs.redis import keys

# Upper bounds in ms; a run of `ms` goes in the first bucket with ms < bound.
BUCKETS_MS: tuple[float, ...] = (
    20, 30, 45, 65, 100, 150, 225, 335, 500, 750,
    1100, 1700, 2500, 3800, 5750, 8500, 13000, 20000, 30000, 45000,
    65000, 100000, 150000, 225000, 335000, 1e20,
)  # fmt: skip
LABELS: tuple[str, ...] = (
    "20ms", "30ms", "45ms", "65ms", "100ms", "150ms", "225ms", "335ms", "500ms", "750ms",
    "1.1s", "1.7s", "2.5s", "3.8s", "5.75s", "8.5s", "13s", "20s", "30s", "45s",
    "65s", "100s", "150s", "225s", "335s", "Slow",
)  # fmt: skip
SHORT_TERM = 8 * 60 * 60  # minutely hashes
MID_TERM = 3 * 24 * 60 * 60  # 10-minute hashes
HISTOGRAM_TTL = 8 * 60 * 60
ROLLUP_TTL = MID_TERM
MINUTE = 60
TEN_MINUTES = 600
TOTALS = keys.PREFIX + "metrics:totals"
_ROLLUP = keys.PREFIX + "metrics:h|"


def bucket(ms: int) -> int:
    """The histogram bucket of a run of `ms` milliseconds: the first bound above it."""
    return min(bisect_right(BUCKETS_MS, ms), len(BUCKETS_MS) - 1)


def _utc(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


def minute_key(now: float) -> str:
    """`j|251206|0:05`: Sidekiq's minutely hash (hour unpadded, minute padded)."""
    t = _utc(now)
    return f"j|{t:%y%m%d}|{t.hour}:{t.minute:02d}"


def ten_minute_key(now: float) -> str:
    """`j|251206|0:0`: Sidekiq's 10-minute hash (the minute's first digit)."""
    return minute_key(now)[:-1]


def histogram_key(klass: str, now: float) -> str:
    """`h|<Class>-6-0:5`: Sidekiq's histogram of one class and minute (nothing padded)."""
    t = _utc(now)
    return f"h|{klass}-{t.day}-{t.hour}:{t.minute}"


def sidekiq7_minute_key(now: float) -> str:
    """`j|20261206|0:5`: Sidekiq 7's minutely hash."""
    t = _utc(now)
    return f"j|{t:%Y%m%d}|{t.hour}:{t.minute}"


def sidekiq7_histogram_key(klass: str, now: float) -> str:
    """`<Class>-06-00:5`: Sidekiq 7's histogram of one class and minute."""
    t = _utc(now)
    return f"{klass}-{t:%d-%H}:{t.minute}"


def rollup_key(now: float) -> str:
    """`jobs:metrics:h|251206|0:0`: our 10-minute histograms of every class."""
    return _ROLLUP + ten_minute_key(now)[2:]


def field(klass: str, metric: str | int) -> str:
    """`<Class>|p`, `<Class>|ms`, `<Class>|3`: a hash field."""
    return f"{klass}|{metric}"
