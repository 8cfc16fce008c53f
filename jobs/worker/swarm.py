"""`runworker --processes N`: one supervisor, N forked worker processes.

1. Start-up happens once, in the supervisor: Django, the checks, every job module.
   Then it forks N children that share those pages copy-on-write (gc.freeze() first,
   so the collector does not write to them). Nothing that must not cross a fork does:
   no thread runs yet, cached Redis clients and database connections are closed, and
   each child builds its own worker after the fork (swarm_child.py).
2. Each child is a normal worker (its own identity, heartbeat and lock file) whose
   process info names its supervisor (`supervisor` = "host:pid"); with JOBS["PIN_CPU"],
   child i starts on the i-th allowed core.
3. A child that dies is replaced at once, or after a growing delay when it keeps dying
   at start (respawn.py); the replacement's start recovers the dead child's jobs
   through its lock file (predecessors.py), as a worker restarted on the host would.
4. TERM/INT, TSTP and TTIN are forwarded to every child. After TERM/INT the supervisor
   waits for all children and exits 0 if each stopped cleanly, else 1; a second
   TERM/INT is forwarded too (the children exit at once, their jobs recoverable).
5. With --max-memory, a child whose RSS passes the limit gets TERM (a graceful stop:
   running jobs finish or go back to their queues) and is replaced once it has exited.
The supervisor waits on a pipe that the signal module writes to (set_wakeup_fd), so a
child's death or a signal wakes it at once; its handlers only queue the signal.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from types import FrameType

from jobs.redis.connection import reset_clients
from jobs.worker.heartbeat import rss_kb
from jobs.worker.launcher import WorkerOptions
from jobs.worker.respawn import Slot, describe_status
from jobs.worker.swarm_child import BLOCKED, FORWARDED, ChildPlan, run_child

logger = logging.getLogger("jobs.worker")

MEMORY_LOOK = 1.0  # seconds between looks at the children's RSS
LONGEST_SLEEP = 1.0


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def parse_processes(value: str) -> int:
    """`--processes`: a positive integer, or `auto` (usable cores). Raises ValueError."""
    if value.strip().lower() == "auto":
        return usable_cores()
    number = int(value)
    if number < 1:
        raise ValueError("--processes must be at least 1, or auto")
    return number


def swarm_size(processes: str | None, max_memory: int | None) -> int:
    """The processes `--processes`/`--max-memory` ask for (`--max-memory` alone: 1).

    Raises ValueError with the message for the user.
    """
    if max_memory is not None and max_memory < 1:
        raise ValueError("--max-memory must be at least 1 (MB)")
    if processes is None:
        return 1
    try:
        return parse_processes(processes)
    except ValueError:
        raise ValueError("--processes must be a positive integer or auto") from None


def preferred_cores(pin: bool, processes: int) -> list[int | None]:
    """The core each child starts on: spread over the allowed ones (None: no pinning)."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not pin or len(allowed) < 2:
        return [None] * processes
    return [allowed[i % len(allowed)] for i in range(processes)]


class Supervisor:
    """Forks the worker processes, keeps them running, forwards signals, retires fat ones."""

    def __init__(
        self,
        options: WorkerOptions,
        processes: int,
        max_memory_mb: int | None,
        configure_logging: Callable[[], None],
    ) -> None:
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self.options = replace(options, supervisor=self.identity)
        self.max_rss_kb = max_memory_mb * 1024 if max_memory_mb else None
        cores = preferred_cores(options.settings.PIN_CPU, processes)
        self.slots = [Slot(i, core) for i, core in enumerate(cores)]
        self.configure_logging = configure_logging
        self.received: deque[int] = deque()
        self.stopping = False
        self.quiet = False
        self.stop_signals = 0
        self.unclean = 0  # children that did not stop cleanly after our TERM
        self._wake_r, self._wake_w = os.pipe()
        self._next_memory_look = 0.0

    def run(self) -> int:
        """Run until every child has stopped; return the exit code."""
        self._install_signal_handlers()
        self._prepare_fork()
        limit = f"{self.max_rss_kb // 1024} MB" if self.max_rss_kb else "none"
        logger.info(
            "supervisor %s starting %d worker processes (max memory each: %s)",
            self.identity,
            len(self.slots),
            limit,
        )
        while True:
            self._handle_signals()
            self._reap()
            self._watch_memory()
            self._start_due()
            if not self._alive() and (self.stopping or not self._pending()):
                break
            self._sleep(self._timeout())
        code = 1 if self.unclean else 0
        logger.info(
            "supervisor %s: every worker process has stopped (exit %d)", self.identity, code
        )
        return code

    def _prepare_fork(self) -> None:
        """Close what must not be shared across the fork; freeze start-up's objects."""
        from django.db import connections

        connections.close_all()
        reset_clients()
        others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
        if others:
            logger.warning(
                "threads running before the fork (%s): the worker processes will not have them",
                ", ".join(others),
            )
        gc.freeze()

    def _install_signal_handlers(self) -> None:
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        for signum in FORWARDED:
            signal.signal(signum, self._on_signal)
        signal.signal(signal.SIGCHLD, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum != signal.SIGCHLD:
            self.received.append(signum)  # acted on by the loop, never inside a handler

    def _handle_signals(self) -> None:
        while self.received:
            signum = self.received.popleft()
            name = signal.Signals(signum).name
            if signum in (signal.SIGTERM, signal.SIGINT):
                self._stop(signum, name)
            elif signum == signal.SIGTSTP:
                self.quiet = True
                logger.info("TSTP: worker processes go quiet; none is started until the stop")
                self._send_all(signum)
            else:
                logger.info("%s: forwarded to every worker process", name)
                self._send_all(signum)

    def _stop(self, signum: int, name: str) -> None:
        self.stop_signals += 1
        self.stopping = True
        if self.stop_signals > 1:
            logger.warning("second %s: every worker process exits at once", name)
            self._send_all(signum)
            return
        logger.info("%s: stopping every worker process (again to exit at once)", name)
        for slot in self.slots:
            if slot.pid is not None and not slot.told_to_stop:
                slot.told_to_stop = True
                _send(slot.pid, signum)

    def _send_all(self, signum: int) -> None:
        for slot in self.slots:
            if slot.pid is not None:
                _send(slot.pid, signum)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            slot = next((s for s in self.slots if s.pid == pid), None)
            if slot is None:
                continue
            now = time.monotonic()
            what = describe_status(status)
            if self.stopping and os.waitstatus_to_exitcode(status) != 0:
                self.unclean += 1
            outcome = slot.ended(status, now, stopping=self.stopping, quiet=self.quiet)
            level = logging.INFO if what == "exit 0" else logging.WARNING
            logger.log(level, "worker process %d ended (%s); %s", pid, what, outcome)

    def _watch_memory(self) -> None:
        now = time.monotonic()
        if self.max_rss_kb is None or now < self._next_memory_look or self.stopping:
            return
        self._next_memory_look = now + MEMORY_LOOK
        for slot in self.slots:
            if slot.pid is None or slot.told_to_stop:
                continue
            rss = rss_kb(slot.pid)
            if rss > self.max_rss_kb:
                logger.warning(
                    "worker process %d uses %d MB, over --max-memory %d MB: stopping it "
                    "gracefully, a new one starts when it has exited",
                    slot.pid,
                    rss // 1024,
                    self.max_rss_kb // 1024,
                )
                slot.told_to_stop = slot.retiring = True
                _send(slot.pid, signal.SIGTERM)

    def _start_due(self) -> None:
        if self.stopping or self.quiet:
            return
        for slot in self.slots:
            if slot.pid is None and slot.due is not None and slot.due <= time.monotonic():
                self._fork(slot)

    def _fork(self, slot: Slot) -> None:
        plan = ChildPlan(self.options, self.configure_logging, os.getpid(), self._fds())
        sys.stdout.flush()  # or each child writes what the buffers held again at its exit
        sys.stderr.flush()
        signal.pthread_sigmask(signal.SIG_BLOCK, BLOCKED)
        try:
            pid = os.fork()
        except OSError as exc:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, BLOCKED)
            logger.error("could not start a worker process (%s); trying again in 1 s", exc)
            slot.due = time.monotonic() + 1.0
            return
        if pid == 0:
            run_child(plan, slot.core)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, BLOCKED)
        slot.started_child(pid, time.monotonic())
        core = "" if slot.core is None else f", CPU {slot.core}"
        logger.info(
            "started worker process %d (%d of %d%s)", pid, slot.index + 1, len(self.slots), core
        )

    def _fds(self) -> tuple[int, ...]:
        return (self._wake_r, self._wake_w)

    def _alive(self) -> bool:
        return any(slot.pid is not None for slot in self.slots)

    def _pending(self) -> bool:
        return not self.quiet and any(slot.due is not None for slot in self.slots)

    def _timeout(self) -> float:
        due = [s.due for s in self.slots if s.pid is None and s.due is not None]
        wait = min([LONGEST_SLEEP, *(d - time.monotonic() for d in due)])
        return max(0.0, wait)

    def _sleep(self, timeout: float) -> None:
        """Wait for a signal (a child's death included) or the timeout."""
        select.select([self._wake_r], [], [], timeout)
        try:
            while os.read(self._wake_r, 512):
                pass
        except BlockingIOError:
            pass


def _send(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just died: the next reap sees it
        os.kill(pid, signum)
