"""Our benchmark jobs: the same bodies, and the same redis-py client, as the peers'."""

from __future__ import annotations

import time

from bench.peers.common import mark_done, mark_lat
from jobs import Job


class IncrJob(Job):
    """The throughput job: one int argument, body = INCR bench:done."""

    def perform(self, i: int) -> None:
        mark_done()


class LatJob(Job):
    """The latency job: the argument is the enqueue time in integer microseconds."""

    def perform(self, ts_us: int) -> None:
        mark_lat(ts_us)


def spin(seconds: float) -> None:
    """Run pure Python until this thread has used `seconds` of CPU (its own clock, not the
    wall's: time waiting for the GIL does not count)."""
    end = time.thread_time() + seconds
    total = 0
    while time.thread_time() < end:
        for k in range(100):
            total += k * k


class CpuJob(Job):
    """The CPU job (bench/swarm.py): 1 ms of Python CPU, then the throughput job's INCR."""

    def perform(self, i: int) -> None:
        spin(0.001)
        mark_done()


from bench.djangoapp import flow_jobs  # noqa: E402,F401  (bench/flow.py's jobs)
