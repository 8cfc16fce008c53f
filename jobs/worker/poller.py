"""The poller: move due jobs from `schedule` and `retry` onto their queues.

1. Read due members in bounded batches and move each batch with one script
   that pushes a member only if it removed it (jobs.moves.move_to_queues): many
   pollers racing never enqueue a job twice; a poller killed mid-batch loses none.
2. Sleep a random interval around POLL_INTERVAL x live processes (as Sidekiq),
   so the whole cluster polls about once per POLL_INTERVAL.
3. Every few passes, drop processes whose heartbeat hash expired from `processes`.
"""

from __future__ import annotations

import random
import threading
from typing import cast

import redis

from jobs.moves import due, move_to_queues
from jobs.redis import keys
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.runtime.loop import redis_loop

BATCH = 100
PRUNE_EVERY = 10


class Poller:
    """A thread that enqueues scheduled jobs and retries when their time comes."""

    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        health: RedisHealth,
        mean_interval: float,
        stop: threading.Event,
    ) -> None:
        self.client = client
        self.clock = clock
        self.health = health
        self.mean_interval = mean_interval
        self.stop = stop
        self.processes = 1
        self._passes = 0
        self._thread = threading.Thread(target=self._run, name="poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        # A first pass soon after start, spread so a fleet restarting together doesn't stampede.
        redis_loop(
            self._pass,
            where="poller",
            health=self.health,
            stopping=self.stop,
            first_wait=random.random() * min(self.mean_interval, 1.0),
        )

    def _pass(self) -> float:
        self.poll_once()
        return self.random_interval()

    def poll_once(self) -> int:
        """Move every due job; return how many were moved."""
        moved = 0
        for zset in (keys.SCHEDULE, keys.RETRY):
            while not self.stop.is_set():
                now = self.clock.now()
                members: list[bytes | str] = list(due(self.client, zset, now, BATCH))
                if not members:
                    break
                moved += move_to_queues(self.client, zset, members, now)
                if len(members) < BATCH:
                    break
        self._passes += 1
        self.processes = max(cast(int, self.client.scard(keys.PROCESSES)), 1)
        if self._passes % PRUNE_EVERY == 0:
            prune_processes(self.client)
        return moved

    def random_interval(self) -> float:
        """Sidekiq's spread: uniform in [0.5, 1.5) x mean below 10 processes, [0, 2) x mean above."""
        mean = self.mean_interval * self.processes
        if self.processes < 10:
            return mean * random.random() + mean / 2
        return mean * random.random() * 2


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
