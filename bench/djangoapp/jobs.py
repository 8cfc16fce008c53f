"""Our benchmark jobs: the same bodies, and the same redis-py client, as the peers'."""

from __future__ import annotations

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


from bench.djangoapp import flow_jobs  # noqa: E402,F401  (bench/flow.py's jobs)
