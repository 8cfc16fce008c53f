"""The "attempt started" writes, batched by a thread of their own, skipped when moot.

When a task starts, its record gets `worker:<n>` and `started:<n>` so that a reader
sees it RUNNING and knows who ran it, even if that worker then dies. A round trip
per task on the processor thread would cost more than a no-op task itself: instead
each start is appended to a deque (thread-safe, no lock), and one thread sends what
gathered over GATHER seconds in one pipeline, leaving out the starts of tasks that
have already ended: their outcome (sent with the acknowledgement) carries the same
fields. These writes never touch `status` or a TTL, so it does not matter whether one
lands before or after the task's outcome; a worker killed within GATHER seconds of a
start takes that start with it (the attempt then goes uncounted).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque

import redis

from jobs.redis.connection import get_redis
from jobs.redis.lane import thread_lane

logger = logging.getLogger("jobs.tasks")

GATHER = 0.02  # seconds the writer waits for more starts (and ends) before sending

Start = tuple[str, int, str, float]  # record key, attempt number, worker id, start time


class Journal:
    """Collects starts from every thread and sends the ones still running, in batches."""

    def __init__(self) -> None:
        self._starts: deque[Start] = deque()
        self._ended: set[str] = set()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="task-journal", daemon=True)
        self._thread.start()

    def started(self, start: Start) -> None:
        self._starts.append(start)
        if not self._wake.is_set():
            self._wake.set()

    def ended(self, key: str) -> None:
        # A set.add is atomic; one that lands just after a flush swapped the set only
        # costs a start sent for nothing.
        self._ended.add(key)

    def flush(self) -> None:
        """Send the starts gathered so far, but those of tasks already ended."""
        starts = self._starts
        batch: list[Start] = []
        while starts:
            batch.append(starts.popleft())
        ended, self._ended = self._ended, set()
        commands = [
            ("HSET", key, f"worker:{n}", worker, f"started:{n}", repr(at))
            for key, n, worker, at in batch
            if key not in ended
        ]
        if commands:
            thread_lane(get_redis()).call(commands)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            time.sleep(GATHER)
            try:
                self.flush()
            except redis.RedisError as exc:
                # Advisory only: the outcome write carries the same fields.
                logger.warning("could not record task starts: %s", exc)
            except Exception:
                logger.exception("could not record task starts")


_journal: Journal | None = None
_lock = threading.Lock()


def journal() -> Journal:
    """This process's journal (a new one after a fork: the thread did not come along)."""
    global _journal  # noqa: PLW0603  (one journal per process)
    current = _journal
    if current is None:
        with _lock:
            current = _journal
            if current is None:
                current = _journal = Journal()
    return current


def _forget() -> None:
    global _journal  # noqa: PLW0603
    _journal = None


os.register_at_fork(after_in_child=_forget)
