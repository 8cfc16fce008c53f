"""A child of `runworker --processes`: from the fork to its exit, a normal worker.

1. The supervisor blocks the signals it handles around the fork; they stay blocked in
   the child until the worker's own handlers are in (the Launcher's). A TERM sent
   meanwhile waits, then stops the worker gracefully; none runs the supervisor's
   handlers in the child.
2. The supervisor's signal plumbing is undone (wakeup fd, SIGCHLD handler). The child
   gets a process group of its own, so a Ctrl-C in the terminal reaches the supervisor
   alone, which forwards it once (twice would mean "exit at once"), and asks the kernel
   for a TERM when the supervisor dies, so no child outlives it unnoticed.
3. Logging (and its job-line thread) and the Launcher (identity, Redis client, threads,
   lock file) are made here, after the fork: no thread, socket or lock is shared with
   the supervisor or a sibling.
4. The child never returns into the supervisor's code: it ends with os._exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NoReturn

from jobs.worker import joblog
from jobs.worker.launcher import Launcher, WorkerOptions

logger = logging.getLogger("jobs.worker")

# The signals the supervisor forwards, and SIGCHLD it wakes on.
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGTSTP, signal.SIGTTIN)
BLOCKED = frozenset({*FORWARDED, signal.SIGCHLD})
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ChildPlan:
    """What every child is told: the worker's options, how to log, what to undo."""

    options: WorkerOptions  # `supervisor` filled in
    configure_logging: Callable[[], None]
    supervisor_pid: int
    close_fds: tuple[int, ...]  # the supervisor's wakeup pipe


def run_child(plan: ChildPlan, core: int | None) -> NoReturn:
    """Run one worker in this freshly forked process, then exit with its code."""
    code = 1
    try:
        code = _run(plan, core)
    except BaseException:  # whatever happens, never return into the supervisor's code
        with contextlib.suppress(Exception):
            logger.exception("worker process %d failed", os.getpid())
    finally:
        writer = joblog.installed()
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.flush()
        with contextlib.suppress(Exception):
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        # Threads stuck in a job must not keep the process alive past a clean stop.
        os._exit(code)


def _run(plan: ChildPlan, core: int | None) -> int:
    signal.set_wakeup_fd(-1)
    for fd in plan.close_fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    die_with(plan.supervisor_pid)
    plan.configure_logging()
    launcher = Launcher(replace(plan.options, core=core))
    launcher.install_signal_handlers()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, BLOCKED)  # a pending TERM or TSTP lands now
    gc.freeze()  # what this child built lives as long as it: out of the collector's way
    return launcher.run()


def die_with(supervisor_pid: int) -> None:
    """Ask the kernel for a TERM when the supervisor dies (Linux); if it is gone, TERM now."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != supervisor_pid:  # it died before the request: nobody will tell us
        os.kill(os.getpid(), signal.SIGTERM)  # blocked: lands once the worker can stop
