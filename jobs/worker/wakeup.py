"""The poller's alarm: its own plan, brought forward by due times told, put back by others' moves.

1. `wait(timeout)` is the poller loop's sleep (the Stopping protocol of
   jobs.runtime.loop): it ends at `timeout` (the random poll), at stop, at the
   poller's own plan (`plan(at)`: the earliest due time it read) or at a due time
   told meanwhile, whichever comes first.
2. `tell(at)` (the hints listener: a job was scheduled for `at`, Redis-clock
   seconds) brings the wake-up forward; a later time changes nothing.
3. `moved(through, next_at)` (the hints listener: another poller moved every job
   due by `through`; the earliest left is `next_at`): a wake-up planned or told for
   `through` or before is no longer needed, so with several processes only the
   first poller awake does the work and the others sleep on.
4. `forget()` (the poller, just before it reads the sets): what was planned and told
   until then is in what it reads, since a job is announced only after it was added.
5. With several processes every wake-up for a due time is delayed by a random
   0-`spread` s, so one poller is first.
"""

from __future__ import annotations

import math
import random
import threading
import time

from jobs.runtime.clock import Clock

# The longest the alarm sleeps without looking at the stop flag.
STOP_CHECK = 0.5
NEVER = (math.inf, 0.0)


class WakeUp:
    """Shared by the poller thread and the hints listener thread of one worker."""

    def __init__(self, clock: Clock, stop: threading.Event) -> None:
        self.clock = clock
        self.stop = stop
        self.spread = 0.0
        self._cond = threading.Condition()
        # (due time, jitter): the poller's plan and the earliest time told since it read.
        self._plan = NEVER
        self._told = NEVER

    def jitter(self) -> float:
        """The delay added to a wake-up for a due time (0 with one process)."""
        return random.random() * self.spread if self.spread > 0 else 0.0

    def plan(self, at: float | None) -> None:
        """The poller read `at` as the earliest due time (None: both sets empty)."""
        with self._cond:
            self._plan = NEVER if at is None else (at, self.jitter())
            self._cond.notify_all()

    def tell(self, at: float) -> None:
        """A job is due at `at`: wake by then (-inf: look now)."""
        told = (at, self.jitter())
        with self._cond:
            if sum(told) < sum(self._told):
                self._told = told
                self._cond.notify_all()

    def moved(self, through: float, next_at: float | None) -> None:
        """Another poller moved every job due by `through`; `next_at` is the earliest left.

        A time told for `through` or before is dropped: it was moved, unless a clock
        skewed between hosts scheduled a job in the past, which the random poll then finds.
        """
        after = NEVER if next_at is None else (next_at, self.jitter())
        with self._cond:
            if self._plan[0] <= through or sum(after) < sum(self._plan):
                self._plan = after
            if -math.inf < self._told[0] <= through:
                self._told = NEVER
            self._cond.notify_all()

    def forget(self) -> None:
        """The poller is about to read the sets: what was planned and told is covered."""
        with self._cond:
            self._plan = self._told = NEVER

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep `timeout` seconds, or until a planned or told time comes; True when stopping."""
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        with self._cond:
            while not self.stop.is_set():
                due = min(sum(self._plan), sum(self._told)) - self.clock.now()
                remaining = min(deadline - time.monotonic(), due)
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, STOP_CHECK))
        return True
