"""Where idle processor threads wait for work that the blockers fetched (a part of supply.py).

Busy threads fetch for themselves (see fetch.py); the extra jobs of a prefetch
wait here too, and a thread that finishes a job takes one before fetching. A
thread finds nothing to fetch, becomes idle and waits here; blocker threads
wait in BLMOVE on every queue meanwhile and hand over what arrives. A thread
woken with such a job nudges one more idle thread to try fetching for itself,
so a burst of jobs wakes the pool one round trip at a time instead of one job
at a time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final


class _Nudge:
    """Returned by take(): fetch for yourself, work may be waiting."""


NUDGE: Final = _Nudge()


class WorkBuffer:
    """Jobs handed over by blockers, and the idle processor threads waiting for them."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now  # monotonic seconds: when a job arrived, for take_stale()
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # idle threads wait here
        self._blockers = threading.Condition(lock)  # blockers wait here for an idle thread
        self._items: deque[tuple[bytes, float]] = deque()  # (job, when it arrived: monotonic)
        self._idle = 0
        self._nudges = 0
        self._closed = False

    def offer(self, job: bytes) -> bool:
        """Hand `job` to an idle thread if one waits for it; False if every thread is busy.

        A blocker's BLMOVE may return after the idle thread it fetched for found work of
        its own: the job must then go back to its queue, not wait here for a free thread
        while other workers sit idle.
        """
        with self._cond:
            if self._closed or self._idle <= len(self._items):
                return False
            self._items.append((job, self._now()))
            self._cond.notify()
            return True

    def stash(self, jobs: list[bytes]) -> None:
        """Keep jobs a busy thread fetched beyond its own, for the next thread to get free."""
        with self._cond:
            now = self._now()
            self._items.extend((job, now) for job in jobs)
            self._cond.notify(len(jobs))

    def take_stale(self, max_age: float) -> list[bytes]:
        """Remove and return the jobs that have waited here longer than `max_age` seconds.

        Prefetched jobs are meant for a thread about to get free; when every thread is
        held up by long jobs they must go back to their queue for other workers.
        """
        oldest = self._now() - max_age
        with self._cond:
            stale: list[bytes] = []
            while self._items and self._items[0][1] < oldest:
                stale.append(self._items.popleft()[0])
            return stale

    def take(self, timeout: float) -> bytes | _Nudge | None:
        """Wait as an idle thread: a job, NUDGE, or None on timeout or once closed and empty."""
        with self._cond:
            self._idle += 1
            self._blockers.notify_all()
            try:
                if not self._items and not self._nudges and not self._closed:
                    self._cond.wait(timeout)
                if self._items:
                    return self._items.popleft()[0]
                if self._nudges:
                    self._nudges -= 1
                    return NUDGE
                return None
            finally:
                self._idle -= 1

    def poll(self) -> bytes | None:
        """A job waiting here, without waiting."""
        with self._cond:
            return self._items.popleft()[0] if self._items else None

    def drain(self) -> list[bytes]:
        """Take every job waiting here (a stop gives them back to their queues)."""
        with self._cond:
            jobs = [job for job, _ in self._items]
            self._items.clear()
            return jobs

    def snapshot(self) -> list[bytes]:
        """The jobs waiting here now (for the reconciler)."""
        with self._cond:
            return [job for job, _ in self._items]

    def nudge(self) -> None:
        """Wake one idle thread to fetch for itself."""
        with self._cond:
            if self._idle > self._nudges:
                self._nudges += 1
                self._cond.notify()

    def wait_for_idle(self, timeout: float) -> bool:
        """Wait (as a blocker) until some thread is idle with nothing waiting for it."""
        with self._cond:
            if self._idle <= len(self._items) and not self._closed:
                self._blockers.wait(timeout)
            return self._idle > len(self._items) and not self._closed

    def close(self) -> None:
        """Wake every waiter; threads return once the jobs already here are taken."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            self._blockers.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
