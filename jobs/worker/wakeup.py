"""The poller's alarm: its own next look, brought forward by due times other threads tell.

1. `wait(timeout)` is the poller loop's sleep (the Stopping protocol of
   jobs.runtime.loop): it ends at `timeout`, at stop, or earlier when a due time
   told meanwhile comes first.
2. `tell(at)` (the hints listener: a job was scheduled for `at`, Redis-clock
   seconds) brings the wake-up forward; a later time changes nothing.
3. `forget()` (the poller, just before it reads the sets): what was told until then
   is in what it reads, since a job is announced only after it was added.
4. With several processes, every wake-up for a due time is spread by a random
   delay below `spread`, so one poller moves the job and the others, waking after
   it, only read the head of the sets.
"""

from __future__ import annotations

import math
import random
import threading
import time

from jobs.runtime.clock import Clock

# The longest the alarm sleeps without looking at the stop flag.
STOP_CHECK = 0.5


class WakeUp:
    """Shared by the poller thread and the hints listener thread of one worker."""

    def __init__(self, clock: Clock, stop: threading.Event) -> None:
        self.clock = clock
        self.stop = stop
        self.spread = 0.0
        self._cond = threading.Condition()
        self._told = math.inf  # Redis-clock time to wake at (jitter included)

    def jitter(self) -> float:
        """The delay added to a wake-up for a due time (0 with one process)."""
        return random.random() * self.spread if self.spread > 0 else 0.0

    def tell(self, at: float) -> None:
        """A job is due at `at`: wake by then (-inf: look now)."""
        wake = at + self.jitter()
        with self._cond:
            if wake < self._told:
                self._told = wake
                self._cond.notify_all()

    def forget(self) -> None:
        """The poller is about to read the sets: due times told so far are covered."""
        with self._cond:
            self._told = math.inf

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep `timeout` seconds, or until a told time comes; True when stopping."""
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        with self._cond:
            while not self.stop.is_set():
                now = time.monotonic()
                remaining = min(deadline - now, self._told - self.clock.now())
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, STOP_CHECK))
        return True
