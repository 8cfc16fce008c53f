"""Recover the jobs of processes that died, and put back our own unfinished jobs.

1. A process is dead when its `<identity>` hash (refreshed by its heartbeat with
   a TTL) has expired, judged by Redis itself, so no two clocks are compared.
2. Each job in a dead process's in-progress list is pushed back to the head of
   its queue by a script that removes it from the list in the same step, so two
   recoverers racing never push it twice.
3. A job that was in progress each of the last MAX_RECOVERIES times its worker
   died is a poison pill: it goes to the dead set instead of running again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar, cast

import redis

from jobs.exceptions import InvalidPayload
from jobs.moves import kill, unreadable_record
from jobs.payload import JobPayload, Payload, dumps, loads, whole
from jobs.redis import keys
from jobs.redis.scripts import script

logger = logging.getLogger("jobs.worker")

RECOVERIES = "recoveries"  # payload field: times a worker died under this job


def requeue_list(
    client: redis.Redis, list_key: str, now: float, *, died: bool, max_recoveries: int
) -> tuple[int, int]:
    """Push every job of `list_key` back to its queue; return (requeued, sent to dead)."""
    requeued = killed = 0
    for raw in cast(list[bytes], client.lrange(list_key, 0, -1)):
        moved, dead = requeue_one(
            client, list_key, raw, now, died=died, max_recoveries=max_recoveries
        )
        requeued += moved
        killed += dead
    return requeued, killed


def requeue_one(
    client: redis.Redis,
    list_key: str,
    raw: bytes,
    now: float,
    *,
    died: bool,
    max_recoveries: int,
) -> tuple[int, int]:
    """Push one job of `list_key` back to its queue (a poison pill to dead); (requeued, killed).

    `died`: its worker died (or lost track of it), so the job's recovery count goes up.
    Nothing moves when the job is no longer in the list.
    """
    try:
        payload = loads(raw)
    except InvalidPayload as exc:
        record = dumps(unreadable_record(raw, exc, now))
        return 0, kill(client, list_key, "list", [(raw, record)], now).moved
    if died:
        count = (whole(payload.get(RECOVERIES)) or 0) + 1
        if count >= max_recoveries:
            return 0, _poison(client, list_key, raw, payload, count, now)
        payload[RECOVERIES] = count
    return push_back(client, list_key, raw, payload), 0


def push_back(
    client: redis.Redis, list_key: str, raw: bytes | str, payload: JobPayload | None = None
) -> int:
    """Move one job from an in-progress list back to the head of its queue; 1 if moved.

    `payload` is the job as changed (its recovery count); without it the bytes go
    back as they are (to `default` when unreadable: the worker that fetches them
    parks them in the dead set).
    """
    if payload is None:
        try:
            queue = loads(raw).queue
        except InvalidPayload:
            queue = "default"
        member: bytes | str = raw
    else:
        queue, member = payload.queue, dumps(payload)
    moved: int = script(client, "requeue")(
        keys=[list_key, keys.QUEUES, keys.queue(queue)],
        args=[raw, member, queue, "head"],
    )
    return moved


def _poison(
    client: redis.Redis,
    list_key: str,
    raw: bytes | str,
    payload: JobPayload,
    count: int,
    now: float,
) -> int:
    record: Payload = dict(payload)
    record.update(
        {
            RECOVERIES: count,
            "error_class": "WorkerDied",
            "error_message": f"worker died {count} times while running this job",
            "failed_at": now,
        }
    )
    record.setdefault("retry_count", 0)
    logger.warning(
        "poison pill: %s jid=%s killed its worker %d times; moved to dead",
        payload.klass,
        payload.jid,
        count,
    )
    return kill(client, list_key, "list", [(raw, dumps(record))], now).moved


Key = TypeVar("Key", bound=Hashable)


class Suspects(Generic[Key]):
    """What looked lost, and since when (monotonic seconds): acted on only if it stays so.

    Owners whose heartbeat hash is missing: a list is recovered only when its owner is
    still missing after `grace` seconds, because after a Redis restart or a long stall
    every hash may have expired at once, and live workers need a beat (and a reconnect
    backoff) to write theirs again. Jobs in our own list that nothing here holds
    (reconcile.py): a fetch reply still on its way must not be taken for a stray.
    """

    def __init__(self, grace: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.grace = grace
        self.monotonic = monotonic  # a test's own clock
        self.first_missed: dict[Key, float] = {}

    def confirmed(self, key: Key) -> bool:
        """Missing now; True once it has been missing for `grace` seconds."""
        now = self.monotonic()
        since = self.first_missed.setdefault(key, now)
        return now - since >= self.grace

    def forget(self, keys: Iterable[Key]) -> None:
        """These are fine again, or were acted on."""
        for key in keys:
            self.first_missed.pop(key, None)


def recover_orphans(
    client: redis.Redis, me: str, now: float, max_recoveries: int, suspects: Suspects[str]
) -> int:
    """Recover the in-progress lists of every process whose heartbeat expired (and stays so)."""
    owners = [
        m.decode("utf-8", "replace") if isinstance(m, bytes) else m
        for m in cast(set[bytes], client.smembers(keys.WORKERS))
    ]
    others = [owner for owner in owners if owner != me]
    if not others:
        return 0
    pipe = client.pipeline(transaction=False)
    for owner in others:
        pipe.exists(owner)
    alive = pipe.execute()
    suspects.forget([owner for owner, is_alive in zip(others, alive, strict=True) if is_alive])
    recovered = 0
    for owner, is_alive in zip(others, alive, strict=True):
        if is_alive or not suspects.confirmed(owner):
            continue
        suspects.forget([owner])
        requeued, killed = requeue_list(
            client, keys.inprogress(owner), now, died=True, max_recoveries=max_recoveries
        )
        client.srem(keys.WORKERS, owner)
        client.srem(keys.PROCESSES, owner)
        if requeued or killed:
            logger.warning(
                "recovered %d job(s) from dead process %s (%d poison pill(s) moved to dead)",
                requeued,
                owner,
                killed,
            )
        recovered += requeued
    return recovered
