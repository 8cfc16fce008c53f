"""Recover the jobs of processes that died, and put back our own unfinished jobs.

1. A process is dead when its `<identity>` hash (refreshed by its heartbeat with
   a TTL) has expired, judged by Redis itself, so no two clocks are compared.
2. Its jobs are recovered by blame.py: the one it was running alone (if any) is
   blamed; every other one goes unblamed back to its queue, or to the suspects
   (to run alone next) when it was beside a death before; a job part of more
   than MAX_RECOVERIES deaths, the last alone, is a poison pill: to the dead set.
3. At a stop, our own unfinished jobs go back to the head of their queues (the
   one we ran alone, back to the suspects), each by a script that removes it
   from the list in the same step, so nothing is pushed twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar, cast

import redis

from jobs.exceptions import InvalidPayload
from jobs.moves import push_back, queue_of
from jobs.payload import loads, whole
from jobs.redis import keys
from jobs.worker.blame import (
    RECOVERIES,
    kill_unreadable,
    quarantine,
    read_dead,
    recover_dead,
    to_suspects,
)

logger = logging.getLogger("jobs.worker")


def requeue_list(
    client: redis.Redis, list_key: str, now: float, *, died: bool, max_recoveries: int
) -> tuple[int, int]:
    """Recover (`died`) or put back the jobs of an in-progress list; (moved, sent to dead).

    `died`: its process is dead; blame.recover_dead decides (moved = to the suspects).
    Else (our own stop): every job back to its queue, the solo job to the suspects.
    Either way the process's solo marker is read and cleared with the list.
    """
    identity = list_key.removeprefix(keys.inprogress(""))
    if died:
        return recover_dead(client, identity, now, max_recoveries)
    return return_unfinished(client, identity), 0


def return_unfinished(client: redis.Redis, identity: str) -> int:
    """At a stop: our unfinished jobs back to their queues (the solo job to the suspects)."""
    alone, listed = read_dead(client, identity)
    list_key = keys.inprogress(identity)
    moved = 0
    for raw in listed:
        if raw == alone:
            alone = None
            moved += to_suspects(client, list_key, raw, raw, queue_of(raw))
        else:
            moved += push_back(client, list_key, raw)
    client.delete(keys.solo(identity))
    return moved


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
        return 0, kill_unreadable(client, list_key, raw, exc, now)
    if died:
        count = (whole(payload.get(RECOVERIES)) or 0) + 1
        if count >= max_recoveries:
            message = f"worker died {count} times while running this job"
            return 0, quarantine(client, list_key, raw, payload, count, message, now)
        payload[RECOVERIES] = count
    return push_back(client, list_key, raw, payload), 0


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
