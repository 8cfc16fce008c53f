"""What the dashboard's Limits page shows: each limiter's use now and its answers so far.

Every ask books the limiter (jobs/redis/lua/limit_*.lua): its name in `jobs:limits:seen`
(scored by when), its description in `jobs:limits:meta` and its yes/no counts in
`jobs:limits:stats`. Everything read back is untrusted and checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import redis

from jobs.redis import keys
from jobs.redis.connection import server_time

KINDS = ("concurrent", "window", "bucket")
# The most limiters the page lists (the most recently asked first).
MAX_SHOWN = 200


@dataclass(frozen=True)
class LimiterUse:
    """One limiter: what it allows, how much of it is used now, and how often it said yes/no."""

    name: str
    kind: str
    n: int
    seconds: float  # lock_timeout (concurrent) or per (window, bucket)
    in_use: float  # leases held, entries in the window, or tokens taken
    allowed: int
    refused: int
    last_asked: float

    @property
    def refused_share(self) -> float:
        """Share of asks refused, 0..1."""
        total = self.allowed + self.refused
        return self.refused / total if total else 0.0


def parse_meta(raw: bytes | None) -> tuple[str, int, float] | None:
    """(kind, n, seconds) from a description "kind n seconds", or None if malformed."""
    if raw is None or len(raw) > 100:
        return None
    parts = raw.decode("utf-8", "replace").split()
    if len(parts) != 3 or parts[0] not in KINDS or not parts[1].isdigit():
        return None
    try:
        seconds = float(parts[2])
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return parts[0], int(parts[1]), seconds


def _count(raw: object) -> int:
    try:
        return max(0, int(cast(bytes, raw) or 0))
    except (TypeError, ValueError):
        return 0


def limiters(client: redis.Redis, limit: int = MAX_SHOWN) -> list[LimiterUse]:
    """The limiters asked most recently, with their use now."""
    seen = cast(
        list[tuple[bytes, float]], client.zrevrange(keys.LIMITS_SEEN, 0, limit - 1, withscores=True)
    )
    if not seen:
        return []
    names = [raw for raw, _ in seen]
    metas = cast(list[bytes | None], client.hmget(keys.LIMITS_META, names))
    stat_fields = [part for raw in names for part in (raw + b"|yes", raw + b"|no")]
    stats = cast(list[bytes | None], client.hmget(keys.LIMITS_STATS, stat_fields))
    now = server_time(client)
    found = []
    for index, (raw, when) in enumerate(seen):
        meta = parse_meta(metas[index])
        if meta is None:
            continue
        kind, n, seconds = meta
        name = raw.decode("utf-8", "replace")
        used = in_use(client, kind, name, n, seconds, now)
        yes, no = _count(stats[2 * index]), _count(stats[2 * index + 1])
        found.append(LimiterUse(name, kind, n, seconds, used, yes, no, float(when)))
    return found


def in_use(client: redis.Redis, kind: str, name: str, n: int, seconds: float, now: float) -> float:
    """Leases held, entries in the window, or tokens taken from the bucket, now."""
    key = keys.limit(kind, name)
    if kind in ("concurrent", "window"):
        # Leases not yet expired; entries still inside the window.
        since = now if kind == "concurrent" else now - seconds
        live = cast(list[bytes], client.zrangebyscore(key, since, "+inf", start=0, num=n + 1))
        return len(live)
    tokens, at = cast(list[bytes | None], client.hmget(key, ["tokens", "at"]))
    try:
        left = float(tokens or n) + max(0.0, now - float(at or now)) * n / seconds
    except ValueError:
        return 0.0
    return max(0.0, n - min(float(n), left))
