"""Totals for the dashboard: counters, set sizes, queue backlog, history and Redis info."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, cast

import redis

from jobs.api.processes import ProcessSet
from jobs.api.queues import queue_names
from jobs.redis import keys

REDIS_FIELDS = {
    "redis_version": "version",
    "used_memory_human": "used_memory",
    "used_memory_peak_human": "used_memory_peak",
    "connected_clients": "connected_clients",
    "uptime_in_days": "uptime_days",
    "uptime_in_seconds": "uptime_seconds",
    "maxmemory_policy": "maxmemory_policy",
}


def to_int(value: Any) -> int:
    """A counter read from Redis as an int; garbage counts as 0."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class Overview:
    """The numbers every page shows in its navigation."""

    processed: int
    failed: int
    busy: int
    enqueued: int
    scheduled: int
    retries: int
    dead: int
    processes: int

    def as_dict(self) -> dict[str, int]:
        """The numbers by name, for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class History:
    """Daily processed/failed counts, oldest day first."""

    dates: list[str]
    processed: list[int]
    failed: list[int]


def overview(client: redis.Redis) -> Overview:
    """Read every headline number in two round trips (plus one per 500 processes)."""
    names = queue_names(client)
    pipe = client.pipeline(transaction=False)
    pipe.get(keys.STAT_PROCESSED)
    pipe.get(keys.STAT_FAILED)
    for key in keys.SORTED_SETS:
        pipe.zcard(key)
    for name in names:
        pipe.llen(keys.queue(name))
    processed, failed, scheduled, retries, dead, *sizes = pipe.execute()
    processes = ProcessSet(client).alive()
    return Overview(
        processed=to_int(processed),
        failed=to_int(failed),
        busy=sum(process.busy for process in processes),
        enqueued=sum(to_int(size) for size in sizes),
        scheduled=to_int(scheduled),
        retries=to_int(retries),
        dead=to_int(dead),
        processes=len(processes),
    )


def history(client: redis.Redis, days: int, today: date) -> History:
    """Processed and failed per UTC day for the `days` days up to `today`."""
    dates = [(today - timedelta(days=offset)).isoformat() for offset in range(days - 1, -1, -1)]
    processed = cast(list[Any], client.mget([keys.stat_day("processed", day) for day in dates]))
    failed = cast(list[Any], client.mget([keys.stat_day("failed", day) for day in dates]))
    return History(dates, [to_int(v) for v in processed], [to_int(v) for v in failed])


def redis_info(client: redis.Redis) -> dict[str, str]:
    """Version, memory, clients and uptime of the Redis server."""
    try:
        info = cast(dict[str, Any], client.info())
    except redis.ResponseError:  # INFO disabled (some hosted Redis)
        return {}
    return {name: str(info[field]) for field, name in REDIS_FIELDS.items() if field in info}
