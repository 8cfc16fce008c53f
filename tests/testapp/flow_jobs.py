"""Jobs of the flow-control tests (unique jobs, limiters, queue pause); imported by jobs.py."""

from __future__ import annotations

import time

from jobs import Job
from jobs.limits import concurrent, window

# Shared by every worker process of a test (the names are fixed; each test flushes Redis).
THREE_AT_ONCE = concurrent("test:three", 3, lock_timeout=4)
FIVE_PER_TWO_S = window("test:five-per-2s", 5, per=2)


class UniqueLedgerJob(Job):
    """Unique for 60 s: a start row, `ms` of sleep, an end row (tagged `tag`)."""

    unique_for = 60

    def perform(self, ms: int, tag: str = "") -> None:
        from tests.reliability import ledger as book

        book.record("start", self.jid, tag)
        time.sleep(ms / 1000)
        book.record("end", self.jid, tag)


class UniqueFailJob(Job):
    """Unique, and always fails: its lock is kept while it waits for a retry."""

    unique_for = 60
    retry = 3

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 600

    def perform(self, key: str) -> None:
        raise RuntimeError("fails on purpose")


class ConcurrentLedgerJob(Job):
    """Inside THREE_AT_ONCE: a start row, `ms` of sleep, an end row."""

    def perform(self, ms: int, tag: str = "") -> None:
        from tests.reliability import ledger as book

        with THREE_AT_ONCE.within_limit():
            book.record("start", self.jid, tag)
            time.sleep(ms / 1000)
            book.record("end", self.jid, tag)


class WindowLedgerJob(Job):
    """Inside FIVE_PER_TWO_S: a start and an end row at once."""

    def perform(self, tag: str = "") -> None:
        from tests.reliability import ledger as book

        with FIVE_PER_TWO_S.within_limit():
            book.record("start", self.jid, tag)
            book.record("end", self.jid, tag)
