"""The history of finished jobs: each run of a job, kept a day, for `find()` and its page.

1. Writing, on the worker's hot path (`HistoryWriter.commands`): ONE command per job,
   riding the job's own ack (jobs.completion), so no round trip of its own. A job
   that succeeded or was discarded: `SET jobs:history:<jid> <run>\\n<payload> EX
   HISTORY_TTL` (the run as a small JSON object: state, worker, start, duration,
   error; then the payload as it ran). A failure (retry or dead, off the hot path):
   `RPUSH jobs:history:<jid>:runs <run>` + `EXPIRE`, the run also noting the score
   the job got in `retry` or `dead`, so `find()` reaches it without a scan.
2. The index `jobs:history` (a list, newest first, of the jids of jobs that ended:
   succeeded, discarded or dead) is written in batches, not per job: each jid waits
   in memory and the next heartbeat pushes them all with one LPUSH. A worker killed
   between two beats leaves up to a beat of jids out of the index; their keys still
   expire.
3. Trimming (`trim`, from the heartbeat): while the index holds more than
   HISTORY_SIZE jids, the oldest are popped with their keys, TRIM_BATCH a round trip,
   at most TRIM_ROUNDS a beat. HISTORY_TTL needs no work: every key expires by
   itself. A job that ended twice (dead, retried from the dashboard, then succeeded)
   is in the index twice, and may lose its history when the older entry is trimmed.
4. Reading (`read`): the two keys, read as hostile (types checked, lengths cut), at
   most READ_RUNS runs (the first and the latest).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import redis

from jobs.completion import Command
from jobs.payload import number, read_retry_count
from jobs.redis import keys
from jobs.redis.lane import thread_lane

PAYLOAD_MAX = 4096  # bytes of a payload kept whole; a bigger one is kept without its args
ERROR_MAX = 1000  # characters of the error kept with a run
RUN_MAX = 20_000  # bytes of a stored run read back
TRIM_BATCH = 1000
INDEX_BATCH = 10_000  # jids an LPUSH of the index adds at most
TRIM_ROUNDS = 50
READ_RUNS = 50
PREFIX = keys.history("")
STATES = frozenset({"succeeded", "discarded", "retry", "dead"})
FINAL = frozenset({"succeeded", "discarded"})


def run_number(payload: Mapping[str, Any]) -> int:
    """Which run of the job this is: 1, then 2 after the first failure (retry_count 0), ..."""
    count = read_retry_count(payload)
    return 1 if count is None else count + 2


class HistoryWriter:
    """Builds the history command of each run; keeps the jids for the index's next batch."""

    def __init__(self, identity: str, ttl: int, size: int) -> None:
        self.enabled = size > 0
        self.ttl = ttl
        self.size = size
        self.worker = identity
        self._success = (
            b'{"n":%%d,"state":"succeeded","worker":%s,"start_ms":%%d,"took_us":%%d}\n%%b'
            % json.dumps(identity).encode()
        )
        # The jid of each run since the last flush, appended by the processor threads (no
        # new object per job: the index scores them with the flush's time, at most a beat
        # late); bounded (through a long outage only the newest HISTORY_SIZE could be kept).
        self._pending: deque[str] = deque(maxlen=max(size, 1))

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
        """The writes that record this run (one for a success); () when the history is off."""
        jid = payload["jid"]
        if not self.enabled or ":" in jid:  # a colon could name another job's runs key
            return ()
        n = 1 if payload.get("retry_count") is None else run_number(payload)
        if state in FINAL:
            self._pending.append(jid)
            kept = raw if len(raw) <= PAYLOAD_MAX else _without_args(payload)
            if state == "succeeded":  # the hot path: integers format much faster than floats
                value = self._success % (n, started * 1000, took * 1e6, kept)
            else:
                head = self._line(n, state, started, took, error, score).encode()
                value = head + b"\n" + kept
            return (("SET", PREFIX + jid, value, "EX", self.ttl),)
        if state == "dead":  # indexed too: it may stay in dead (a retry is, when it ends)
            self._pending.append(jid)
        runs = keys.history_runs(jid)
        line = self._line(n, state, started, took, error, score)
        return (("RPUSH", runs, line), ("EXPIRE", runs, self.ttl))

    def _line(
        self, n: int, state: str, started: float, took: float, error: str, score: float | None
    ) -> str:
        run: dict[str, Any] = {"n": n, "state": state, "worker": self.worker}
        run.update(start_ms=int(started * 1000), took_us=int(took * 1e6))
        if error:
            run["error"] = error[:ERROR_MAX]
        if score is not None:
            run["score"] = score
        return json.dumps(run, separators=(",", ":"))

    def flush(self, client: redis.Redis) -> int:
        """Add the jids of the runs since the last flush to the index, then trim it."""
        pending = self._pending
        jids: list[str] = []
        while pending:
            jids.append(pending.popleft())
        # Packed by hiredis on this thread's lane: redis-py would spend ~1 us an argument.
        lane = thread_lane(client)
        for start in range(0, len(jids), INDEX_BATCH):
            lane.call([("LPUSH", keys.HISTORY, *jids[start : start + INDEX_BATCH])])
        return trim(client, self.size)


def _without_args(payload: Mapping[str, Any]) -> bytes:
    kept = {k: payload.get(k) for k in ("class", "queue", "jid", "created_at", "enqueued_at")}
    return json.dumps({**kept, "args": ["(arguments too large to keep in the history)"]}).encode()


def trim(client: redis.Redis, size: int) -> int:
    """Keep the newest `size` jids of the index and their keys, in bounded batches; removed."""
    removed = 0
    held = cast(int, client.llen(keys.HISTORY))
    for _ in range(TRIM_ROUNDS):
        excess = held - size
        if excess <= 0:
            break
        oldest = cast(list[bytes] | None, client.rpop(keys.HISTORY, min(excess, TRIM_BATCH)))
        if not oldest:
            break
        jids = [jid.decode("utf-8", "replace") for jid in oldest]
        pipe = client.pipeline(transaction=False)
        pipe.delete(*[keys.history(jid) for jid in jids], *[keys.history_runs(j) for j in jids])
        pipe.llen(keys.HISTORY)
        _, held = pipe.execute()
        removed += len(oldest)
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
    final, count, head, tail = pipe.execute()
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
