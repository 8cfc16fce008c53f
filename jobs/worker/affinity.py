"""Keep a worker's threads on one CPU core while its jobs are short.

Why: CPython runs the Python of one thread at a time (the GIL), and a worker's
threads hand the GIL to each other at every Redis round trip. Spread over
several cores, each hand-off wakes a thread on another core (an inter-processor
interrupt, a VM exit on a virtual machine) whose cache is cold. On the 2-core VM
of our benchmarks the same worker ran 7,000-9,000 short jobs/s with its threads
spread over both cores and about 16,000 with them on one, at half the CPU per
job (bench/PROFILE.md). Only Python's own parallelism is given up, and a worker
process has none to give.

1. At start every thread of the process is pinned to the core it runs on (under
   `runworker --processes`, child i to the i-th allowed core, so the children start
   spread out); threads started later inherit the pin.
2. A processor thread whose job was not short (supply.SHORT_JOB, 5 ms) leaves
   the pin until it runs a short job again: long jobs may spend their time in C code
   that releases the GIL (numpy, Pillow, hashlib), which can use other cores.
3. A thread about to start a program (subprocess, os.system, fork, exec,
   posix_spawn) leaves the pin first, as a child inherits its parent thread's
   cores: `ffmpeg` started by a job must see every core, not one.
4. Every few seconds (jittered, so workers do not move in step) the process
   moves to another allowed core when other processes keep its own busy and
   that one has clearly more room: several workers on one machine spread out.

Linux only (sched_setaffinity). Elsewhere, with one allowed core, or with
JOBS["PIN_CPU"] = False, nothing is pinned.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import threading
import time
from collections.abc import Mapping

logger = logging.getLogger("jobs.worker")

# Seconds between looks at the cores' load: uniformly random in this range.
REBALANCE_EVERY = (1.5, 4.5)
# Move only to a core with at least this much more room (fraction of one core).
MOVE_MARGIN = 0.25
# Audit events raised just before the process starts another program or forks.
SPAWN_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.fork",
        "os.forkpty",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
    }
)


def better_core(current: int, busy: Mapping[int, float], ours: float) -> int | None:
    """The core to move to, or None to stay.

    `busy` is each allowed core's busy share over the last period (0..1), `ours`
    the cores this process used meanwhile (all counted against `current`). We
    get `1 - (busy[current] - ours)` of our core and `1 - busy[c]` of another:
    move to the freest other core when it offers MOVE_MARGIN more than ours.
    """
    others_here = busy.get(current, 0.0) - ours
    candidates = [core for core in busy if core != current]
    if not candidates:
        return None
    best = min(candidates, key=lambda core: (busy[core], core))
    return best if busy[best] + MOVE_MARGIN < others_here else None


def cpu_times() -> dict[int, tuple[int, int]]:
    """(busy, total) jiffies since boot for each core, from /proc/stat."""
    times: dict[int, tuple[int, int]] = {}
    with open("/proc/stat", "rb") as stat:
        for line in stat:
            if not line.startswith(b"cpu") or line.startswith(b"cpu "):
                continue
            name, *fields = line.split()
            values = [int(field) for field in fields[:8]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
            total = sum(values)
            times[int(name[3:])] = (total - idle, total)
    return times


def current_core() -> int:
    """The core the calling thread runs on now (field 39 of /proc/thread-self/stat)."""
    with open("/proc/thread-self/stat", "rb") as stat:
        after_name = stat.read().rsplit(b")", 1)[1].split()
    return int(after_name[36])


class Affinity:
    """The process's one core, and which of its threads have left it."""

    def __init__(self, allowed: frozenset[int], prefer: int | None = None) -> None:
        self.allowed = allowed
        self.prefer = prefer if prefer in allowed else None
        self.core: int | None = None
        self._loose: set[int] = set()  # native ids of threads not pinned now
        self._lock = threading.Lock()
        self._last: tuple[float, float, dict[int, tuple[int, int]]] | None = None
        self._next_look = 0.0

    @classmethod
    def for_process(cls, enabled: bool, prefer: int | None = None) -> Affinity | None:
        """An Affinity when pinning is on and possible here, else None.

        `prefer`: the core to start on (each child of `runworker --processes` prefers
        another one), instead of the one the process happens to run on.
        """
        if not enabled or not hasattr(os, "sched_setaffinity"):
            return None
        allowed = frozenset(os.sched_getaffinity(0))
        if len(allowed) < 2:
            return None
        return cls(allowed, prefer)

    def start(self) -> None:
        """Pin every thread of the process (and so every later one) to the core it is on."""
        try:
            core = current_core() if self.prefer is None else self.prefer
        except (OSError, ValueError, IndexError):
            core = min(self.allowed)
        self.core = core if core in self.allowed else min(self.allowed)
        self._move_all(self.core)
        if os.sched_getaffinity(0) != {self.core}:  # refused here (a seccomp profile, say)
            logger.info("threads not pinned: this system refused sched_setaffinity")
            self.core = None
            return
        _install_spawn_hook(self)
        self._last = _sample()
        self._next_look = time.monotonic() + random.uniform(*REBALANCE_EVERY)
        logger.info(
            "threads pinned to CPU %d of %s; long jobs and programs they start use every core",
            self.core,
            _describe(self.allowed),
        )

    def settle(self, short: bool) -> None:
        """Pin the calling thread after a short job, loosen it after a long one.

        The spawn hook loosens a thread the same way before it starts a program, so the
        program sees every allowed core.
        """
        tid = threading.get_native_id()
        if short == (tid in self._loose):  # pinned wants short, loose wants long
            self._set(tid, pinned=short)

    def _set(self, tid: int, *, pinned: bool) -> None:
        with self._lock:
            if self.core is None:
                return
            try:
                os.sched_setaffinity(0, {self.core} if pinned else self.allowed)
            except OSError:
                return
            if pinned:
                self._loose.discard(tid)
            else:
                self._loose.add(tid)

    def tick(self) -> None:
        """Look at the cores' load when it is time, and move if another core has room."""
        now = time.monotonic()
        if now < self._next_look or self._last is None or self.core is None:
            return
        self._next_look = now + random.uniform(*REBALANCE_EVERY)
        try:
            sample = _sample()
        except (OSError, ValueError):
            return
        before, self._last = self._last, sample
        busy = {
            core: _share(before[2].get(core), sample[2].get(core))
            for core in self.allowed
            if core in sample[2]
        }
        elapsed = sample[0] - before[0]
        ours = (sample[1] - before[1]) / elapsed if elapsed > 0 else 0.0
        target = better_core(self.core, busy, ours)
        if target is None:
            return
        # DEBUG: an idle machine's background noise moves a worker a dozen times an hour.
        logger.debug(
            "threads moved from CPU %d (%.0f%% busy, %.0f%% of it ours) to CPU %d (%.0f%% busy)",
            self.core,
            100 * busy[self.core],
            100 * ours,
            target,
            100 * busy[target],
        )
        self._move_all(target)

    def _move_all(self, core: int) -> None:
        """Pin every thread that is not loose to `core`."""
        with self._lock:
            self.core = core
            for name in os.listdir("/proc/self/task"):
                tid = int(name)
                if tid in self._loose:
                    continue
                try:
                    os.sched_setaffinity(tid, {core})
                except OSError:
                    continue  # the thread ended meanwhile


def _sample() -> tuple[float, float, dict[int, tuple[int, int]]]:
    """(monotonic time, this process's CPU seconds, each core's jiffies)."""
    times = os.times()
    return time.monotonic(), times.user + times.system, cpu_times()


def _share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float:
    if before is None or after is None or after[1] <= before[1]:
        return 0.0
    return (after[0] - before[0]) / (after[1] - before[1])


def _describe(cores: frozenset[int]) -> str:
    ordered = sorted(cores)
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}"
    return ",".join(str(core) for core in ordered)


_hooked: list[Affinity] = []


def _install_spawn_hook(affinity: Affinity) -> None:
    """Loosen a thread before it starts a program (audit hooks cannot be removed: one per process)."""
    if _hooked:
        _hooked[0] = affinity
        return
    _hooked.append(affinity)

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event in SPAWN_EVENTS:
            _hooked[0].settle(short=False)

    sys.addaudithook(hook)
