"""Run suspects alone: the supply's solo mode (a part of supply.py).

A suspect is a job a worker died beside (blame.py). It runs only alone in its
process, so that if it kills this worker too, the death is its own.

1. Watch: every heartbeat reads the length of the suspects lists of this
   process's queues in its existing MULTI and reports it here (`seen()`).
   Suspects waiting: the supply wants a solo turn (`wanted`, the one flag its
   normal fetch reads).
2. Drain: while a turn is wanted, threads fetch nothing new from the queues; a
   thread that finishes its job (and the jobs prefetched into the buffer) hands
   its acks to the acker and waits here. Blockers stay out of Redis, since no
   thread idles in the buffer.
3. Alone: once no other thread holds a job, one thread becomes the runner: it
   flushes the acks, then one script (fetch_suspect.lua) moves one suspect into
   our in-progress list and names it in our solo marker. It runs it while the
   others wait; its completion is written as any job's.
4. Next: the runner takes suspects one at a time until none is left; then the
   script clears the marker and every thread goes back to its queues.
5. Patience: a drain that finds no idle moment within SOLO_PATIENCE seconds (long
   jobs running) gives up and resumes; suspects seen in the next SOLO_BACKOFF
   seconds are ignored, so long jobs do not keep the threads idle. The suspects
   wait in Redis meanwhile, for a worker with a quiet moment (idle, or starting).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import cast

import redis

from jobs.queue_order import QueueOrder
from jobs.redis import keys
from jobs.redis.scripts import script

# Seconds a drain waits for the running jobs to end before it gives up for now.
SOLO_PATIENCE = 30.0
# Seconds after a drain gave up before suspects start another.
SOLO_BACKOFF = 300.0
# Seconds a waiting thread sleeps between looks (any change wakes it sooner).
TURN_WAIT = 0.25


class SoloGate:
    """Who runs suspects alone, and when: the turn, its runner, the patience."""

    def __init__(
        self,
        client: redis.Redis,
        identity: str,
        order: QueueOrder,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.inprogress = keys.inprogress(identity)
        self.marker = keys.solo(identity)
        # The suspects lists this process may take from: those of its own queues.
        self.watched = tuple(keys.suspects(name) for name in order.names)
        self._now = now
        self._cond = threading.Condition()
        self.wanted = False  # a turn is wanted: read without the lock by the normal fetch
        self.runner: threading.Thread | None = None
        self.running: bytes | None = None  # the suspect running alone now
        self._deadline = 0.0  # a drain not done by then gives up
        self._resume_at = 0.0  # no new drain before then

    def seen(self, waiting: int) -> None:
        """The heartbeat read `waiting` suspects in our queues' lists."""
        with self._cond:
            now = self._now()
            if waiting > 0 and not self.wanted and now >= self._resume_at:
                self.wanted = True
                self._deadline = now + SOLO_PATIENCE

    def turn(self, me: threading.Thread, alone: Callable[[], bool]) -> bool:
        """Wait a moment for a solo turn; True if `me` is now the runner.

        `alone()`: no other thread holds a job, nothing waits in the buffer.
        """
        with self._cond:
            if not self.wanted:
                return False
            if self.runner is me:
                return True
            if self.runner is None:
                if alone():
                    self.runner = me
                    return True
                if self._now() >= self._deadline:
                    self._give_up()
                    return False
            self._cond.wait(TURN_WAIT)
            return False

    def arrived(self) -> None:
        """A thread came to wait: it may be the last one the others waited for."""
        with self._cond:
            self._cond.notify_all()

    def fetch(self) -> bytes | None:
        """Move the next suspect into our in-progress list, named in the marker. Raises RedisError."""
        job = script(self.client, "fetch_suspect")(
            keys=[self.inprogress, self.marker, *self.watched], args=[]
        )
        self.running = cast(bytes | None, job) or None
        return self.running

    def release(self, *, done: bool) -> None:
        """The runner lets go: with `done` (no suspect left) the turn ends for every thread."""
        with self._cond:
            self.runner = None
            self.running = None
            if done:
                self.wanted = False
            self._cond.notify_all()

    def abandoned(self, raw: bytes) -> None:
        """The watchdog gave up on `raw`: if it is the solo job, its turn ends (others may go)."""
        with self._cond:
            if self.running is not None and raw == self.running:
                self.runner = None
                self.running = None
                self._deadline = self._now() + SOLO_PATIENCE
                self._cond.notify_all()

    def _give_up(self) -> None:
        self.wanted = False
        self._resume_at = self._now() + SOLO_BACKOFF
        self._cond.notify_all()
