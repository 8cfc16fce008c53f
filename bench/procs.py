"""Worker processes: spawn one in its own session, measure its memory, stop it by its pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

from jobs.worker.heartbeat import rss_kb


class Worker:
    """One worker command, started in a new session (pgid == its pid)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log: IO[bytes] = log.open("wb")
        self.started = time.time()  # just before the spawn: the process figures start here
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 15.0) -> None:
        """TERM the worker's process group, wait up to `grace` s, then KILL the group."""
        if self.alive():
            _signal_group(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        # Children (prefork pools) may outlive the parent.
        _signal_group(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.log.close()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def session_pids(sid: int) -> list[int]:
    """Every process whose session id is `sid` (a worker and the children it forked)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # fields after the command: state, ppid, pgrp, session
            pids.append(int(entry))
    return pids


def session_rss_kb(sid: int) -> int:
    """Summed RSS of a worker's whole session, kB."""
    return sum(rss_kb(pid) for pid in session_pids(sid))


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds used so far by one process (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks  # utime, stime


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by one process (all its threads)."""
    return sum(cpu_split(pid))


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting), all CPUs."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class OtherCpu:
    """CPU the rest of the machine used meanwhile: all busy CPU less the pids we watch."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.started = time.time()
        self.busy = busy_cpu_seconds()
        self.ours = self._ours()

    def _ours(self) -> float:
        own = os.times()  # this process, and its children once they were waited for
        mine = own.user + own.system + own.children_user + own.children_system
        return sum(cpu_seconds(pid) for pid in self.pids) + mine

    def cores(self, more_cpu: float = 0.0) -> float:
        """Average cores used by everything else since the start (`more_cpu`: ours too)."""
        wall = time.time() - self.started
        ours = self._ours() - self.ours + more_cpu
        return max(0.0, busy_cpu_seconds() - self.busy - ours) / wall if wall > 0 else 0.0


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]
