"""Reliable fetch: jobs move atomically from their queue into our in-progress list.

1. Busy: one Lua script per round trip moves as many jobs as there are idle
   threads (LMOVE each, queues tried in strict or weighted order).
2. Idle: one blocker thread per queue waits in BLMOVE on its own connection, so a
   job pushed to any queue starts at once; the fetcher sleeps until one arrives.
A job is therefore always in a queue or in our in-progress list, never only in
this process's memory: a kill -9 at any instant loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import cast

import redis

from jobs.queues import QueueOrder
from jobs.redis import keys
from jobs.redis.connection import make_client
from jobs.redis.scripts import script
from jobs.worker.buffer import WorkBuffer
from jobs.worker.health import Backoff, RedisHealth
from jobs.worker.recovery import push_back

logger = logging.getLogger("jobs.worker")

# Seconds an idle blocker waits in BLMOVE before checking whether to stop (Sidekiq: 2).
BLOCK_TIMEOUT = 2


class Fetcher:
    """Keeps the work buffer fed while the process is fetching."""

    def __init__(
        self,
        client: redis.Redis,
        url: str,
        identity: str,
        order: QueueOrder,
        buffer: WorkBuffer,
        health: RedisHealth,
    ) -> None:
        self.client = client
        self.url = url
        self.inprogress = keys.inprogress(identity)
        self.order = order
        self.buffer = buffer
        self.health = health
        self.fetching = threading.Event()
        self.idle = threading.Event()
        self._stopped = threading.Event()  # set by quiet(): cuts backoff sleeps short
        self._script = script(client, "fetch")
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.fetching.set()
        self._spawn(self._run, "fetcher")
        for name in self.order.names:
            self._spawn(partial(self._block, name), f"blocker-{name}")

    def quiet(self) -> None:
        """Stop taking new jobs (TSTP, or the first step of a stop)."""
        self.fetching.clear()
        self._stopped.set()
        self.idle.set()  # wake blockers so they notice

    def join(self, timeout: float) -> None:
        """Wait for the fetch threads to leave Redis, so nothing is fetched after this."""
        for thread in self._threads:
            thread.join(timeout)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run(self) -> None:
        backoff = Backoff()
        while self.fetching.is_set():
            want = self.buffer.demand(timeout=0.5)
            if want <= 0 or not self.fetching.is_set():
                continue
            seen = self.buffer.arrivals()
            try:
                jobs = self._script(keys=[self.inprogress, *self.order.keys()], args=[want])
            except redis.RedisError as exc:
                self.health.failed(exc, "fetch")
                self._stopped.wait(backoff.next())
                continue
            backoff.reset()
            self.health.succeeded()
            if jobs:
                self._hand_over(jobs)
                continue
            self.idle.set()
            self.buffer.wait_arrival(seen, BLOCK_TIMEOUT)
            self.idle.clear()

    def _hand_over(self, jobs: list[bytes]) -> None:
        """Give fetched jobs to the threads, or back to their queues if we went quiet meanwhile."""
        if self.fetching.is_set():
            self.buffer.put(jobs)
            return
        for raw in jobs:
            try:
                push_back(self.client, self.inprogress, raw)
            except redis.RedisError:
                # It stays in our in-progress list: pushed back at stop, or recovered.
                logger.warning("could not push back a job fetched while going quiet")

    def _block(self, queue: str) -> None:
        client = make_client(self.url, socket_timeout=BLOCK_TIMEOUT + 10)
        source = keys.queue(queue)
        backoff = Backoff()
        try:
            while self.fetching.is_set():
                if not self.idle.wait(1.0) or not self.fetching.is_set():
                    continue
                try:
                    job = client.blmove(source, self.inprogress, BLOCK_TIMEOUT, "RIGHT", "LEFT")
                except redis.RedisError as exc:
                    self.health.failed(exc, f"blocking fetch on {queue}")
                    self._stopped.wait(backoff.next())
                    continue
                backoff.reset()
                if job is not None:
                    self._hand_over([cast(bytes, job)])
        finally:
            client.close()
