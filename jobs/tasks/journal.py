"""The "attempt started" writes, batched by a thread of their own.

When a task starts, its record gets `worker:<n>` and `started:<n>` so that a reader
sees it RUNNING and knows who ran it, even if that worker then dies. A round trip
per task on the processor thread would cost more than a no-op task itself: instead
each start is appended to a deque (thread-safe, no lock) and one thread sends
whatever has gathered in one pipeline. These writes never touch `status` or a TTL
and repeat fields the outcome writes again, so it does not matter whether one lands
before or after the task's outcome.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import Any

import redis

from jobs.redis.connection import get_redis
from jobs.redis.lane import thread_lane

logger = logging.getLogger("jobs.tasks")

GATHER = 0.002  # seconds the writer waits for more starts before sending


class Journal:
    """Collects commands from every thread and sends them in batches."""

    def __init__(self) -> None:
        self._commands: deque[tuple[Any, ...]] = deque()
        self._wake = threading.Event()
        self.pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="task-journal", daemon=True)
        self._thread.start()

    def note(self, command: tuple[Any, ...]) -> None:
        self._commands.append(command)
        if not self._wake.is_set():
            self._wake.set()

    def flush(self) -> None:
        """Send every command noted so far in one round trip."""
        commands = self._commands
        batch: list[tuple[Any, ...]] = []
        while commands:
            batch.append(commands.popleft())
        if batch:
            thread_lane(get_redis()).call(batch)

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


def note(command: tuple[Any, ...]) -> None:
    """Send `command` soon, in a batch, from this process's journal thread."""
    global _journal  # noqa: PLW0603  (one journal per process)
    journal = _journal
    if journal is None or journal.pid != os.getpid():
        with _lock:
            journal = _journal
            if journal is None or journal.pid != os.getpid():
                journal = _journal = Journal()
    journal.note(command)
