"""When a child of `runworker --processes` is started again, as pure decisions.

1. Each slot of the supervisor holds one child at a time. A child that crashes (a
   signal such as kill -9 or the OOM killer's, or a non-zero exit) is replaced at once:
   its replacement's start recovers the jobs it held (predecessors.py).
2. A child that keeps dying within QUICK_DEATH seconds of its start (a poison pill
   taken at once, a broken deploy) is replaced after a growing delay: the first
   FREE_RESTARTS such deaths in a row cost nothing, then 1, 2, 4 ... up to MAX_DELAY
   seconds. A child that lived longer resets the streak.
3. A child the supervisor retired (over --max-memory) is replaced at once, streak
   untouched: it did nothing wrong.
4. A child that stopped cleanly on its own (exit 0: the dashboard's Stop) stays
   stopped, as a single worker would; while the supervisor stops, or is quiet (TSTP:
   a stop is coming), no child is started.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

QUICK_DEATH = 5.0  # seconds: a child dying this soon after its start died "at start"
FREE_RESTARTS = 2  # quick deaths in a row replaced without a delay
MAX_DELAY = 30.0  # seconds: the longest wait before a replacement


def restart_delay(streak: int) -> float:
    """Seconds to wait before replacing a child after `streak` quick deaths in a row."""
    if streak <= FREE_RESTARTS:
        return 0.0
    return min(2.0 ** (streak - FREE_RESTARTS - 1), MAX_DELAY)


def describe_status(status: int) -> str:
    """A wait status in words: "exit 0", "exit 1", "killed by SIGKILL"."""
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return f"exit {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


@dataclass
class Slot:
    """One place for a child: who runs in it now, and when to start the next one."""

    index: int
    core: int | None = None  # the CPU its children prefer (None: no preference)
    pid: int | None = None
    started: float = 0.0
    told_to_stop: bool = False  # the supervisor sent TERM (a stop, or --max-memory)
    retiring: bool = False  # over --max-memory: replace at once when it has exited
    streak: int = 0  # quick deaths in a row
    due: float | None = 0.0  # when to start a child here; None: never again

    def started_child(self, pid: int, now: float) -> None:
        self.pid, self.started, self.due = pid, now, None
        self.told_to_stop = self.retiring = False

    def ended(self, status: int, now: float, *, stopping: bool, quiet: bool) -> str:
        """Record the child's end, set `due`; return what happens next, in words."""
        lived = now - self.started
        crashed = os.waitstatus_to_exitcode(status) != 0
        retired, asked = self.retiring, self.told_to_stop
        self.pid = None
        self.told_to_stop = self.retiring = False
        if stopping:
            self.due = None
            return "stopped"
        if quiet:
            self.due = None
            return "not replaced: the supervisor is quiet"
        if retired:
            self.due = now
            return "replaced now (it was over --max-memory)"
        if not crashed and not asked:
            self.due = None
            return "not replaced: it stopped cleanly on its own (a Stop from the dashboard?)"
        self.streak = self.streak + 1 if lived < QUICK_DEATH else 0
        delay = restart_delay(self.streak)
        self.due = now + delay
        if delay:
            return (
                f"replaced in {delay:g} s: it died within {QUICK_DEATH:g} s of its start "
                f"{self.streak} times in a row"
            )
        return "replaced now"
