"""The hand-off between the fetcher and the processor threads.

The fetcher asks for exactly as many jobs as there are idle threads with nothing
waiting for them, so a fetched job sits here for microseconds, not seconds: what
is in this process's in-progress list is (nearly) what is running.
"""

from __future__ import annotations

import threading
from collections import deque


class WorkBuffer:
    """Jobs fetched and not yet picked up, plus the count of idle processor threads."""

    def __init__(self) -> None:
        lock = threading.Lock()
        self._work = threading.Condition(lock)  # processors wait here for a job
        self._demand = threading.Condition(lock)  # the fetcher waits here for an idle thread
        self._items: deque[bytes] = deque()
        self._idle = 0
        self._arrivals = 0
        self._closed = False

    def put(self, jobs: list[bytes]) -> None:
        """Hand fetched jobs to the processor threads."""
        with self._work:
            self._items.extend(jobs)
            self._arrivals += 1
            self._work.notify(len(jobs))
            self._demand.notify_all()

    def take(self) -> bytes | None:
        """Wait for a job as an idle processor thread; None once closed and empty."""
        with self._work:
            self._idle += 1
            self._demand.notify()
            while not self._items:
                if self._closed:
                    self._idle -= 1
                    return None
                self._work.wait()
            self._idle -= 1
            return self._items.popleft()

    def demand(self, timeout: float) -> int:
        """Wait up to `timeout` for idle threads with no job waiting; return how many."""
        with self._demand:
            want = self._idle - len(self._items)
            if want <= 0 and not self._closed:
                self._demand.wait(timeout)
                want = self._idle - len(self._items)
            return max(want, 0)

    def arrivals(self) -> int:
        with self._demand:
            return self._arrivals

    def wait_arrival(self, since: int, timeout: float) -> None:
        """Wait until jobs were put after the `since` reading of arrivals(), or timeout."""
        with self._demand:
            if self._arrivals == since and not self._closed:
                self._demand.wait(timeout)

    def close(self) -> None:
        """Let every processor thread return once the jobs already here are taken."""
        with self._work:
            self._closed = True
            self._work.notify_all()
            self._demand.notify_all()

    def __len__(self) -> int:
        with self._work:
            return len(self._items)
