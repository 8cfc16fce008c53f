"""The history of finished jobs: each run of a job, kept a day, for `find()` and its page.

1. Writing (`HistoryWriter.commands`, on the worker's hot path): three commands that
   ride the job's own ack or move (jobs.completion), so no round trip of their own:
   `HSET jobs:history:<jid> payload <bytes> last <n> <n> <run>` (the payload as run,
   and run number n as a small JSON object: state, worker, start, duration, error,
   and for retry/dead the sorted-set score, so `find()` reaches it without a scan),
   `EXPIRE` (HISTORY_TTL, renewed at each run) and `ZADD jobs:history <end> <jid>`.
2. Trimming (`trim`, from each worker's heartbeat, never per job): the index loses
   what is older than HISTORY_TTL (the hashes expire by themselves), then, while it
   holds more than HISTORY_SIZE jids, the oldest go in batches of TRIM_BATCH, at
   most TRIM_ROUNDS batches a beat. Two workers trimming at once may remove a few
   jobs too many, never too few.
3. Reading (`read`): one hash, read as hostile (types checked, lengths cut), at most
   READ_RUNS runs (the first and the latest).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import redis

from jobs.completion import Command
from jobs.payload import number, read_retry_count
from jobs.redis import keys

PAYLOAD_MAX = 4096  # bytes of a payload kept whole; a bigger one is kept without its args
ERROR_MAX = 1000  # characters of the error kept with a run
TRIM_BATCH = 1000
TRIM_ROUNDS = 50
READ_RUNS = 50
STATES = frozenset({"succeeded", "discarded", "retry", "dead"})


def run_number(payload: Mapping[str, Any]) -> int:
    """Which run of the job this is: 1, then 2 after the first failure (retry_count 0), ..."""
    count = read_retry_count(payload)
    return 1 if count is None else count + 2


class HistoryWriter:
    """Builds the history commands of one run; shared by the processor threads."""

    def __init__(self, identity: str, ttl: int, size: int) -> None:
        self.enabled = size > 0
        self.ttl = ttl
        self._worker = json.dumps(identity)

    def commands(
        self,
        raw: bytes,
        payload: Mapping[str, Any],
        state: str,
        started: float,
        took: float,
        error: str = "",
        score: float | None = None,
    ) -> tuple[Command, ...]:
        """The writes that record this run; () when the history is off."""
        if not self.enabled:
            return ()
        jid = payload["jid"]
        n = run_number(payload)
        run = f'{{"state":"{state}","worker":{self._worker},"start":{started!r},"took":{took!r}'
        if error:
            run += f',"error":{json.dumps(error[:ERROR_MAX])}'
        if score is not None:
            run += f',"score":{score!r}'
        key = keys.history(jid)
        kept = raw if len(raw) <= PAYLOAD_MAX else _without_args(payload)
        return (
            ("HSET", key, "payload", kept, "last", n, n, run + "}"),
            ("EXPIRE", key, self.ttl),
            ("ZADD", keys.HISTORY, started + took, jid),
        )


def _without_args(payload: Mapping[str, Any]) -> str:
    kept = {k: payload.get(k) for k in ("class", "queue", "jid", "created_at", "enqueued_at")}
    return json.dumps({**kept, "args": ["(arguments too large to keep in the history)"]})


def trim(client: redis.Redis, now: float, ttl: int, size: int) -> int:
    """Bring the index within HISTORY_TTL and HISTORY_SIZE, in bounded batches; removed count."""
    pipe = client.pipeline(transaction=False)
    pipe.zremrangebyscore(keys.HISTORY, "-inf", f"({now - ttl!r}")
    pipe.zcard(keys.HISTORY)
    expired, held = pipe.execute()
    removed = int(expired)
    for _ in range(TRIM_ROUNDS):
        excess = int(held) - size
        if excess <= 0:
            break
        oldest = cast(list[bytes], client.zrange(keys.HISTORY, 0, min(excess, TRIM_BATCH) - 1))
        if not oldest:
            break
        pipe = client.pipeline(transaction=False)
        pipe.delete(*[keys.history(jid.decode("utf-8", "replace")) for jid in oldest])
        pipe.zrem(keys.HISTORY, *oldest)
        pipe.zcard(keys.HISTORY)
        _, gone, held = pipe.execute()
        removed += int(gone)
    return removed


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
    """A job's history: the payload last run (bytes, hostile) and its runs, oldest first."""

    payload: bytes | None
    runs: list[Run]
    total: int  # runs the job had, some maybe not read (READ_RUNS)

    @property
    def last(self) -> Run | None:
        return self.runs[-1] if self.runs else None


def read(client: redis.Redis, jid: str) -> Past | None:
    """The history of `jid`, or None when there is none."""
    key = keys.history(jid)
    first = [str(n) for n in range(1, READ_RUNS + 1)]
    payload, last, *values = cast(list[Any], client.hmget(key, ["payload", "last", *first]))
    if payload is None and last is None:
        return None
    total = _count(last)
    numbers = list(range(1, READ_RUNS + 1))
    if total > READ_RUNS:  # the first runs and the latest ones
        half = READ_RUNS // 2
        numbers = [*range(1, half + 1), *range(total - half + 1, total + 1)]
        latest = cast(list[Any], client.hmget(key, [str(n) for n in numbers[half:]]))
        values = values[:half] + latest
    runs = [_run(n, v) for n, v in zip(numbers, values, strict=True) if v is not None]
    return Past(payload if isinstance(payload, bytes) else None, runs, total)


def _count(value: object) -> int:
    """The `last` field: a run number up to 1,000,000 (0 when it is anything else)."""
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else ""
    return int(text) if text.isdigit() and len(text) <= 7 and int(text) <= 1_000_000 else 0


def _run(n: int, value: bytes) -> Run:
    try:
        data = json.loads(value[:20_000])
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        data = {}
    state = data.get("state")
    worker = data.get("worker")
    error = data.get("error")
    return Run(
        number=n,
        state=state if state in STATES else "",
        worker=worker[:200] if isinstance(worker, str) else "",
        started=_finite(data.get("start")),
        took=_finite(data.get("took")),
        error=error[:ERROR_MAX] if isinstance(error, str) else "",
        score=_finite(data.get("score")),
    )


def _finite(value: object) -> float | None:
    found = number(value)
    if found is None or not -1e12 < found < 1e12:
        return None
    return found
