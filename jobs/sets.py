"""Atomic moves between Sidekiq's sorted sets (schedule, retry, dead) and the queues.

Used by the worker's poller, by failure handling and by the dashboard, so that
every path moves a job exactly once and trims the dead set the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, cast

import redis

from jobs.conf import get_settings
from jobs.exceptions import InvalidPayload
from jobs.payload import dumps, loads, salvage
from jobs.redis import keys
from jobs.redis.scripts import script

logger = logging.getLogger("jobs.sets")

Member = bytes | str


@dataclass(frozen=True)
class KillResult:
    """What one kill did: jobs moved to dead, and entries trimmed from it."""

    moved: int
    trimmed_by_age: int
    trimmed_by_size: int


def due(client: redis.Redis, zset: str, now: float, limit: int) -> list[bytes]:
    """Members of `zset` whose time has come, oldest first, at most `limit`."""
    return cast(list[bytes], client.zrangebyscore(zset, "-inf", now, start=0, num=limit))


def move_to_queues(
    client: redis.Redis, zset: str, members: list[Member], now: float, *, by_hand: bool = False
) -> int:
    """Push `members` of `zset` onto their queues (enqueued_at = now); unreadable ones go to dead.

    `by_hand` (a dashboard's Retry now) gives the retry back, as Sidekiq's UI does: the
    run it asks for does not count against the job's retries.
    Returns how many were moved to queues by this call.
    """
    queue_keys: dict[str, int] = {}
    argv: list[Member | int | str] = []
    broken: list[tuple[Member, str]] = []
    for member in members:
        try:
            payload = loads(member)
        except InvalidPayload as exc:
            broken.append((member, dumps({**salvage(member, exc, "default"), "failed_at": now})))
            continue
        queue = payload.get("queue") or "default"
        payload["enqueued_at"] = now
        count = payload.get("retry_count")
        if by_hand and isinstance(count, int) and not isinstance(count, bool):
            payload["retry_count"] = count - 1
        index = queue_keys.setdefault(queue, len(queue_keys) + 3)
        argv += [member, dumps(payload), index, queue]
    if broken:
        kill(client, zset, "zset", broken, now)
    if not argv:
        return 0
    key_list = [zset, keys.QUEUES, *(keys.queue(q) for q in queue_keys)]
    moved: int = script(client, "move_to_queues")(keys=key_list, args=argv)
    return moved


def kill(
    client: redis.Redis,
    source: str,
    source_type: Literal["zset", "list"],
    pairs: list[tuple[Member, str]],
    now: float,
) -> KillResult:
    """Move (member as stored, dead record) pairs from `source` to dead, trimming dead."""
    settings = get_settings()
    argv: list[Member | float | int | str] = [
        source_type,
        now,
        now - settings.DEAD_TIMEOUT,
        settings.DEAD_MAX_JOBS,
    ]
    for member, record in pairs:
        argv += [member, record]
    moved, by_age, by_size = script(client, "kill")(keys=[source, keys.DEAD], args=argv)
    result = KillResult(int(moved), int(by_age), int(by_size))
    log_trim(result.trimmed_by_age, result.trimmed_by_size)
    return result


def log_trim(by_age: int, by_size: int) -> None:
    """Say in the log whenever the dead set dropped entries, so nothing vanishes unseen."""
    if by_age or by_size:
        settings = get_settings()
        logger.warning(
            "dead set trimmed: %d job(s) older than %d days, %d beyond the %d-job cap",
            by_age,
            settings.DEAD_TIMEOUT // 86400,
            by_size,
            settings.DEAD_MAX_JOBS,
        )
