"""The history of finished jobs, read (jobs/history.py writes it): a job's runs, oldest first.

1. One round trip reads the job's failed runs (`jobs:history:<jid>:runs`, at most
   READ_RUNS: the first and the latest), the string an older version kept for a
   finished run, and which buckets of finished runs exist (`jobs:finished`, newest
   first, at most MAX_BUCKETS).
2. Then the buckets are asked for the jid, newest first, BUCKETS_PER_TRIP a round
   trip, until one has it: about two round trips for a day of one-minute buckets.
Everything read is hostile: types checked, lengths cut, numbers bounded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

import redis

from jobs.history import ERROR_MAX, STATES
from jobs.payload import number
from jobs.redis import keys

RUN_MAX = 20_000  # bytes of a stored run read back
READ_RUNS = 50
MAX_BUCKETS = 20_000
BUCKETS_PER_TRIP = 1000


@dataclass(frozen=True)
class Run:
    """One run of a job, as the history kept it (checked: anything odd is left empty)."""

    number: int
    state: str  # one of STATES, or "" when unreadable
    worker: str
    started: float | None
    took: float | None
    error: str
    score: float | None  # retry: when it runs again; dead: when it died

    @property
    def ended(self) -> float | None:
        """When the run ended (epoch seconds)."""
        if self.started is None or self.took is None:
            return None
        return self.started + self.took


@dataclass(frozen=True)
class Past:
    """A job's history: the payload of its final run (bytes, hostile) and its runs, oldest first."""

    payload: bytes | None
    runs: list[Run]
    total: int  # runs the job had, some maybe not read (READ_RUNS)

    @property
    def last(self) -> Run | None:
        return self.runs[-1] if self.runs else None


def read(client: redis.Redis, jid: str) -> Past | None:
    """The history of `jid`, or None when there is none."""
    half = READ_RUNS // 2
    runs_key = keys.history_runs(jid)
    pipe = client.pipeline(transaction=False)
    pipe.get(keys.history(jid))
    pipe.llen(runs_key)
    pipe.lrange(runs_key, 0, half - 1)
    pipe.lrange(runs_key, -half, -1)
    pipe.zrange(keys.FINISHED, -MAX_BUCKETS, -1)  # by score: the newest last
    final, count, head, tail, buckets = pipe.execute()
    final = final if final is not None else _in_buckets(client, jid, buckets)
    count = int(count)
    if final is None and not count:
        return None
    failures = head + tail[max(0, len(tail) - (count - len(head))) :]
    numbers = [*range(1, len(head) + 1), *range(count - len(failures) + len(head) + 1, count + 1)]
    runs = [_run(value, n) for value, n in zip(failures, numbers, strict=True)]
    payload = None
    if isinstance(final, bytes):
        line, _, payload = final.partition(b"\n")
        runs.append(_run(line, count + 1))
    return Past(payload, runs, count + (final is not None))


def _in_buckets(client: redis.Redis, jid: str, buckets: list[bytes]) -> bytes | None:
    """The jid's field in the newest bucket that has it (bucket names checked first)."""
    starts = [int(start) for start in reversed(buckets) if start.isdigit() and len(start) < 16]
    for at in range(0, len(starts), BUCKETS_PER_TRIP):
        pipe = client.pipeline(transaction=False)
        for start in starts[at : at + BUCKETS_PER_TRIP]:
            pipe.hget(keys.finished(start), jid)
        for value in cast(list[bytes | None], pipe.execute()):
            if value is not None:
                return value
    return None


def _run(value: bytes, n: int) -> Run:
    try:
        data = json.loads(value[:RUN_MAX])
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        data = {}
    state, worker, error = data.get("state"), data.get("worker"), data.get("error")
    stored = number(data.get("n"))
    return Run(
        number=int(stored) if stored is not None and 0 < stored < 1e7 else n,
        state=state if state in STATES else "",
        worker=worker[:200] if isinstance(worker, str) else "",
        started=_scaled(data.get("start_ms"), 1e-3),
        took=_scaled(data.get("took_us"), 1e-6),
        error=error[:ERROR_MAX] if isinstance(error, str) else "",
        score=_finite(data.get("score")),
    )


def _finite(value: object) -> float | None:
    found = number(value)
    if found is None or not -1e12 < found < 1e12:
        return None
    return found


def _scaled(value: object, unit: float) -> float | None:
    found = number(value)
    return None if found is None else _finite(found * unit)
