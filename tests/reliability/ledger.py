"""A ledger of job runs kept outside the system under test: one SQLite file per test.

Jobs running in worker processes (tests.testapp.jobs.LedgerJob and friends) write
a `start` row before their work and an `end` row after it; the test reads the
file to count lost and duplicated jobs instead of guessing them from Redis, which
is the thing being tortured. SQLite in WAL mode survives a SIGKILL mid-write and
lets many processes write at once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ENV = "JOBS_LEDGER"  # the ledger file's path, in the workers' environment

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    jid TEXT NOT NULL,
    event TEXT NOT NULL,
    at REAL NOT NULL,
    pid INTEGER NOT NULL,
    thread TEXT NOT NULL,
    tag TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_event_jid ON runs (event, jid);
CREATE INDEX IF NOT EXISTS runs_tag ON runs (tag, event);
"""

_local = threading.local()


def _connect(path: str | Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), timeout=60, isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=60000")
    return connection


def _worker_connection() -> sqlite3.Connection:
    """This thread's connection to the ledger named in the environment (worker side)."""
    key = (os.getpid(), os.environ[ENV])
    connection: sqlite3.Connection | None = getattr(_local, "connection", None)
    if connection is None or getattr(_local, "key", None) != key:
        connection = _local.connection = _connect(key[1])
        _local.key = key
    return connection


def record(event: str, jid: str, tag: str = "") -> None:
    """Write one row from inside a job."""
    _worker_connection().execute(
        "INSERT INTO runs (jid, event, at, pid, thread, tag) VALUES (?, ?, ?, ?, ?, ?)",
        (jid, event, time.time(), os.getpid(), threading.current_thread().name, tag),
    )


def count(event: str, tag: str) -> int:
    """Rows of `event` with `tag` so far (barrier jobs wait on this)."""
    row = (
        _worker_connection()
        .execute("SELECT COUNT(*) FROM runs WHERE event = ? AND tag = ?", (event, tag))
        .fetchone()
    )
    return int(row[0])


@dataclass(frozen=True)
class Tally:
    """What became of the expected jobs, counted from the ledger."""

    expected: int
    lost: int  # expected, never ended
    duplicates: int  # extra completed runs (ends beyond the first)
    max_runs: int  # most starts of one jid
    interrupted: int  # starts that never ended (the worker died under them)
    unexpected: int  # jids that ran but were never enqueued by the test


class Ledger:
    """The test's side of the ledger file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        connection = _connect(path)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(_SCHEMA)
        connection.close()
        self._db = _connect(path)

    @property
    def env(self) -> dict[str, str]:
        """Environment for a worker process that writes here."""
        return {ENV: str(self.path)}

    def close(self) -> None:
        self._db.close()

    def ended(self, tag: str | None = None) -> int:
        """How many distinct jids have ended at least once."""
        sql = "SELECT COUNT(DISTINCT jid) FROM runs WHERE event = 'end'"
        row = (
            self._db.execute(sql).fetchone()
            if tag is None
            else self._db.execute(sql + " AND tag = ?", (tag,)).fetchone()
        )
        return int(row[0])

    def events(self, event: str) -> list[tuple[str, float, int, str, str]]:
        """(jid, at, pid, thread, tag) of every row of `event`, in time order."""
        rows = self._db.execute(
            "SELECT jid, at, pid, thread, tag FROM runs WHERE event = ? ORDER BY at", (event,)
        ).fetchall()
        return [(str(j), float(a), int(p), str(t), str(g)) for j, a, p, t, g in rows]

    def counts(self, event: str, tag: str) -> Counter[str]:
        rows = self._db.execute(
            "SELECT jid, COUNT(*) FROM runs WHERE event = ? AND tag = ? GROUP BY jid", (event, tag)
        ).fetchall()
        return Counter({str(jid): int(n) for jid, n in rows})

    def first_start_after(self, jids: Iterable[str], after: float) -> dict[str, float]:
        """For each jid, the time of its first start after `after` (if any)."""
        wanted = set(jids)
        found: dict[str, float] = {}
        for jid, at, *_ in self.events("start"):
            if jid in wanted and at > after and jid not in found:
                found[jid] = at
        return found

    def max_concurrent(self, tag: str) -> int:
        """Most jobs with `tag` running at the same moment, from their start and end rows."""
        moments = [(at, 1) for _, at, _, _, t in self.events("start") if t == tag]
        moments += [(at, -1) for _, at, _, _, t in self.events("end") if t == tag]
        running = most = 0
        for _, step in sorted(moments):
            running += step
            most = max(most, running)
        return most

    def tally(self, expected: Iterable[str], tag: str = "") -> Tally:
        """Count what became of `expected`, from the rows with `tag`."""
        jids = set(expected)
        starts, ends = self.counts("start", tag), self.counts("end", tag)
        return Tally(
            expected=len(jids),
            lost=len(jids - set(ends)),
            duplicates=sum(n - 1 for n in ends.values() if n > 1),
            max_runs=max(starts.values(), default=0),
            interrupted=sum(starts[jid] - ends.get(jid, 0) for jid in starts),
            unexpected=len((set(starts) | set(ends)) - jids),
        )


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile (0..1) of `values`, nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]
