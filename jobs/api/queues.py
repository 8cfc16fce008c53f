"""Sidekiq's queues: the `queues` set and one `queue:<name>` list per queue.

Jobs are LPUSHed and taken from the right, so index -1 is the oldest job (the next
to run) and index 0 the newest.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import cast

import redis
from redis.exceptions import NoPermissionError

from jobs.api.records import JobRecord
from jobs.api.search import BATCH, SEARCH_SCAN_LIMIT, JobPage, search_page
from jobs.payload import epoch
from jobs.redis import keys

MAX_NAME = 200
MAX_QUEUES = 1000


@dataclass(frozen=True)
class QueueSummary:
    """A queue's name, size and latency (seconds since its oldest job was pushed)."""

    name: str
    size: int
    latency: float


def paused_names(client: redis.Redis) -> set[str]:
    """Names of the paused queues."""
    members = cast(set[bytes], client.smembers(keys.PAUSED))
    return {m.decode("utf-8", "replace") for m in members}


def queue_names(client: redis.Redis, limit: int = MAX_QUEUES) -> list[str]:
    """Names in the `queues` set, sorted, at most `limit`."""
    names: list[str] = []
    for raw in client.sscan_iter(keys.QUEUES, count=500):
        names.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
        if len(names) >= limit:
            break
    return sorted(names)


def latency_of(raw: bytes | str | None, now: float) -> float:
    """Seconds the job `raw` has waited since it was enqueued (0 if unknown)."""
    if raw is None:
        return 0.0
    record = JobRecord(raw)
    pushed = epoch(record.data.get("enqueued_at", record.data.get("created_at")))
    return max(0.0, now - pushed) if pushed is not None else 0.0


def summaries(
    client: redis.Redis, now: float, extra: list[str] | None = None
) -> list[QueueSummary]:
    """Every queue (plus the `extra` names, e.g. configured ones) with size and latency."""
    names = sorted(set(queue_names(client)) | set(extra or []))
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.llen(keys.queue(name))
        pipe.lindex(keys.queue(name), -1)
    replies = pipe.execute()
    return [
        QueueSummary(name, int(replies[2 * i]), latency_of(replies[2 * i + 1], now))
        for i, name in enumerate(names)
    ]


def valid_name(name: str) -> bool:
    """Whether `name` may be a queue name (non-empty, bounded, no control characters)."""
    return 0 < len(name) <= MAX_NAME and name.isprintable()


class Queue:
    """One queue list."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        if not valid_name(name):
            raise ValueError("invalid queue name")
        self.client = client
        self.name = name
        self.key = keys.queue(name)

    def size(self) -> int:
        """Number of waiting jobs."""
        return cast(int, self.client.llen(self.key))

    def latency(self, now: float) -> float:
        """Seconds the next job to run has waited."""
        return latency_of(cast(bytes | None, self.client.lindex(self.key, -1)), now)

    def range(self, start: int, count: int, newest_first: bool) -> list[JobRecord]:
        """Jobs at positions start .. start + count - 1 in display order."""
        if newest_first:
            rows = cast(list[bytes], self.client.lrange(self.key, start, start + count - 1))
        else:
            rows = cast(list[bytes], self.client.lrange(self.key, -(start + count), -(start + 1)))
            rows.reverse()
        return [JobRecord(raw) for raw in rows]

    def page(self, offset: int, count: int, newest_first: bool, query: str = "") -> JobPage:
        """One page of jobs, optionally only those matching `query` (bounded scan)."""
        return search_page(
            lambda start, n: self.range(start, n, newest_first), self.size(), query, offset, count
        )

    def delete(self, job_id: str) -> bool:
        """Remove the job with id `job_id` (looking at most SEARCH_SCAN_LIMIT deep)."""
        for start in range(0, SEARCH_SCAN_LIMIT, BATCH):
            batch = self.range(start, BATCH, newest_first=False)
            for record in batch:
                if record.id == job_id:
                    return bool(self.client.lrem(self.key, 1, record.raw))  # type: ignore[arg-type]
            if len(batch) < BATCH:
                break
        return False

    def pause(self) -> None:
        """Start no job of this queue (any worker, within 1 s) until resume(); kept in Redis."""
        self.client.sadd(keys.PAUSED, self.name)
        self._announce()

    def resume(self) -> None:
        """Let workers take jobs of this queue again."""
        self.client.srem(keys.PAUSED, self.name)
        self._announce()

    @property
    def paused(self) -> bool:
        """Whether the queue is paused."""
        return bool(self.client.sismember(keys.PAUSED, self.name))

    def _announce(self) -> None:
        # Wake every worker's pause watch now rather than at its next read (without
        # pub/sub for this user, workers still read the set every 0.5 s).
        with contextlib.suppress(NoPermissionError):
            self.client.publish(keys.SCHEDULED, keys.PAUSED_HINT)

    def clear(self) -> int:
        """Delete every job and forget the queue, as Sidekiq does; return jobs deleted."""
        pipe = self.client.pipeline(transaction=True)
        pipe.llen(self.key)
        pipe.unlink(self.key)
        pipe.srem(keys.QUEUES, self.name)
        size, _, _ = pipe.execute()
        return int(size)
