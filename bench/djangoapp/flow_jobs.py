"""Jobs of bench/flow.py: the throughput job plain, inside a concurrent(10) limiter, unique."""

from __future__ import annotations

from bench.peers.common import mark_done
from jobs import Job
from jobs.limits import concurrent

TEN_AT_ONCE = concurrent("bench:ten", 10, lock_timeout=60)


class FlowPlainJob(Job):
    def perform(self, i: int) -> None:
        mark_done()


class FlowLimitedJob(Job):
    def perform(self, i: int) -> None:
        with TEN_AT_ONCE.within_limit():
            mark_done()


class FlowUniqueJob(Job):
    unique_for = 600

    def perform(self, i: int) -> None:
        mark_done()
