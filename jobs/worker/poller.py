"""The poller: move due jobs from `schedule` and `retry` onto their queues, on time.

1. Each pass reads the head (earliest member) of both sets in one round trip and
   moves what is due in bounded batches with one script that pushes a member only
   if it removed it (jobs.moves.move_to_queues): many pollers racing never
   enqueue a job twice; a poller killed mid-batch loses none.
2. Sleep until the earliest due time it read, or until a due time announced
   since (jobs.worker.hints via WakeUp), or until a random interval around
   POLL_INTERVAL x live processes (as Sidekiq), whichever comes first: the random
   pass finds jobs added without an announcement (Ruby clients, raw ZADDs).
3. With several processes every poller plans to wake at a due time, each after a
   random delay below SPREAD: the first awake moves the job and announces what it
   moved through and the earliest due time left (`moved <db> <through> <next>`: a
   channel is shared by every database of a server, its news is for one), so the
   others sleep on; one that wakes before that news only reads the heads, and the
   guarded move keeps it exactly-once if two move together.
4. Every POLL_INTERVAL at most, count live processes; every few counts, drop
   processes whose heartbeat hash expired from `processes`.
"""

from __future__ import annotations

import random
import threading
import time
from typing import cast

import redis

from jobs import moves
from jobs.moves import due, move_to_queues
from jobs.redis import keys
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.runtime.loop import redis_loop
from jobs.worker.wakeup import WakeUp

BATCH = 100
PRUNE_EVERY = 10
# Wake-ups for a due time are spread over this many seconds when several processes run.
SPREAD = 0.05
ZSETS = (keys.SCHEDULE, keys.RETRY)

Heads = dict[str, float | None]


class Poller:
    """A thread that enqueues scheduled jobs and retries when their time comes."""

    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        health: RedisHealth,
        mean_interval: float,
        stop: threading.Event,
        wakeup: WakeUp | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.health = health
        self.mean_interval = mean_interval
        self.stop = stop
        self.wakeup = wakeup or WakeUp(clock, stop)
        self.processes = 1
        self.earliest: float | None = None  # the earliest due time read, if any
        self.through = -float("inf")  # every job due by then was moved by the last pass
        self._counted_at = -float("inf")
        self._counts = 0
        self._thread = threading.Thread(target=self._run, name="poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        # A first pass soon after start, spread so a fleet restarting together doesn't stampede.
        redis_loop(
            self._pass,
            where="poller",
            health=self.health,
            stopping=self.wakeup,
            first_wait=random.random() * min(self.mean_interval, 1.0),
        )

    def _pass(self) -> float:
        """One pass; wake at the earliest due time read, at the latest at the random poll."""
        moved = self.poll_once()
        self.wakeup.plan(self.earliest)
        if moved and self.processes > 1 and moves.ANNOUNCE["publish"]:
            self.client.publish(keys.SCHEDULED, moved_news_of(self.client, self))
        return self.random_interval()

    def poll_once(self) -> int:
        """Move every due job; return how many were moved."""
        self.wakeup.forget()  # what was announced until now is in the heads read below
        read_at = self.clock.now()
        heads = self._heads(count=time.monotonic() - self._counted_at >= self.mean_interval)
        moved = 0
        self.through = read_at
        for zset in ZSETS:
            count, through = self._drain(zset, heads, read_at)
            moved += count
            self.through = min(self.through, through)
        self.earliest = min((at for at in heads.values() if at is not None), default=None)
        return moved

    def _drain(self, zset: str, heads: Heads, read_at: float) -> tuple[int, float]:
        """Move due members of `zset` while its head is due; keep `heads` up to date.

        Returns how many were moved, and a time by which every job of `zset` due then
        had left it: the time just before its head, found later than that, was read
        (a job added after the read is due after it).
        """
        moved = 0
        while not self.stop.is_set():
            now = self.clock.now()
            head = heads[zset]
            if head is None or head > now:
                return moved, read_at
            members: list[bytes | str] = list(due(self.client, zset, now, BATCH))
            if members:
                moved += move_to_queues(self.client, zset, members, now)
            read_at = self.clock.now()
            heads[zset] = read_head(self.client, zset)
        return moved, -float("inf")  # stopped: nothing to say

    def _heads(self, *, count: bool) -> Heads:
        """The earliest due time of each set (one round trip), and the process count."""
        pipe = self.client.pipeline(transaction=False)
        for zset in ZSETS:
            pipe.zrange(zset, 0, 0, withscores=True)
        if count:
            pipe.scard(keys.PROCESSES)
        replies = pipe.execute()
        if count:
            self._count(cast(int, replies[-1]))
        return {zset: head_score(reply) for zset, reply in zip(ZSETS, replies, strict=False)}

    def _count(self, processes: int) -> None:
        self.processes = max(processes, 1)
        self.wakeup.spread = SPREAD if self.processes > 1 else 0.0
        self._counted_at = time.monotonic()
        self._counts += 1
        if self._counts % PRUNE_EVERY == 0:
            prune_processes(self.client)

    def random_interval(self) -> float:
        """Sidekiq's spread: uniform in [0.5, 1.5) x mean below 10 processes, [0, 2) x mean above."""
        mean = self.mean_interval * self.processes
        if self.processes < 10:
            return mean * random.random() + mean / 2
        return mean * random.random() * 2


def moved_news_of(client: redis.Redis, poller: Poller) -> str:
    """`moved <db> <through> <next|->`: what the last pass of `poller` moved, and what is left."""
    left = "-" if poller.earliest is None else repr(poller.earliest)
    return f"moved {database(client)} {poller.through!r} {left}"


def database(client: redis.Redis) -> int:
    """The database number `client` selects."""
    return int(client.connection_pool.connection_kwargs.get("db") or 0)


def head_score(reply: object) -> float | None:
    """The score of a `ZRANGE key 0 0 WITHSCORES` reply, None for an empty set."""
    if not isinstance(reply, list) or not reply:
        return None
    return float(reply[0][1])


def read_head(client: redis.Redis, zset: str) -> float | None:
    """The earliest due time in `zset`, None when it is empty."""
    return head_score(client.zrange(zset, 0, 0, withscores=True))


def prune_processes(client: redis.Redis) -> int:
    """Remove from `processes` the identities whose heartbeat hash is gone."""
    members = list(client.sscan_iter(keys.PROCESSES, count=200))
    if not members:
        return 0
    pipe = client.pipeline(transaction=False)
    for member in members:
        pipe.exists(member)
    gone = [m for m, alive in zip(members, pipe.execute(), strict=True) if not alive]
    if gone:
        client.srem(keys.PROCESSES, *gone)
    return len(gone)
