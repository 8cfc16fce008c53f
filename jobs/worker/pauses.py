"""Which of this worker's queues are paused (`Queue(client, name).pause()`), as Redis says.

1. The state lives in Redis (the `jobs:paused` set), so a pause outlives any worker.
2. A thread reads the set every REFRESH seconds, and at once when the hints listener
   hears `paused` on `jobs:scheduled` (published by pause() and resume()): a worker
   learns of a pause within milliseconds, or REFRESH without pub/sub. The read costs
   one SMEMBERS per REFRESH per process, whatever is paused: ten paused queues cost
   what none do.
3. The fetch path (fetch.py) skips paused queues and gives back a job of a paused
   queue that it fetched meanwhile (a blocker's BLMOVE, a prefetched extra), so no
   job of a paused queue starts once this worker knows of the pause.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import cast

import redis

from jobs.redis import keys

logger = logging.getLogger("jobs.worker")

# Seconds between two reads of the paused set (the fallback when no hint comes).
REFRESH = 0.5


class PauseWatch:
    """The paused queues among `names`, kept fresh by a thread of its own."""

    def __init__(self, client: redis.Redis, names: tuple[str, ...]) -> None:
        self.client = client
        self._ours = frozenset(names)
        self.paused: frozenset[str] = frozenset()
        self._changed = threading.Condition()
        self._poked = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pauses", daemon=True)

    def start(self) -> None:
        """Read the set once (before the first fetch), then keep watching it."""
        with contextlib.suppress(redis.RedisError):  # else the thread reads it soon
            self.refresh()
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; wake the fetchers waiting for a change (a stop should not wait)."""
        self._stopped.set()
        self._poked.set()
        with self._changed:
            self._changed.notify_all()

    def poke(self) -> None:
        """The paused set changed (a hint): read it now."""
        self._poked.set()

    def refresh(self) -> None:
        """Read the paused set; tell the waiters when our part of it changed."""
        members = cast(set[bytes], self.client.smembers(keys.PAUSED))
        names = {m.decode("utf-8", "replace") if isinstance(m, bytes) else str(m) for m in members}
        paused = frozenset(names) & self._ours
        if paused != self.paused:
            resumed, new = self.paused - paused, paused - self.paused
            self.paused = paused
            for name in sorted(new):
                logger.info("queue %s is paused: no job of it starts until it is resumed", name)
            for name in sorted(resumed):
                logger.info("queue %s is resumed", name)
            with self._changed:
                self._changed.notify_all()

    def is_paused(self, name: str) -> bool:
        return name in self.paused

    def wait_for_change(self, timeout: float) -> None:
        """Sleep until the paused set changes, at most `timeout` seconds (a paused fetcher)."""
        with self._changed:
            self._changed.wait(timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._poked.wait(REFRESH)
            self._poked.clear()
            if self._stopped.is_set():
                break
            # An outage: the fetch path reports it; the last known state stays meanwhile.
            with contextlib.suppress(redis.RedisError):
                self.refresh()
