"""The history of finished jobs, written: each run of a job, kept a day, for `find()`.

1. A job that succeeded costs the processor thread one append to a queue in memory
   (`succeeded`), and every RIDE-th success the write of the last RIDE, riding its
   own ack (no round trip of its own): one `HSET` of many fields into the hash of the
   current bucket of time, `jobs:finished:<start>` (field: the jid; value: the run
   as a small JSON object, then the payload as it ran), which expires HISTORY_TTL
   after its last write; the bucket's start goes into the sorted set `jobs:finished`,
   where `find()` (jobs/api/past.py) reads which buckets exist. Each second the
   worker's main thread writes what is left (`write`), discarded runs included. A
   bucket is a minute long, longer when HISTORY_TTL would need over 1,440 of them.
2. A failure (retry or dead, off the hot path): `RPUSH jobs:history:<jid>:runs <run>`
   + `EXPIRE` in the MULTI that moves the job, the run noting the score the job got
   in `retry` or `dead`, so `find()` reaches it without a scan.
3. The index `jobs:history` (a list, newest first) names every job that ended:
   `<start>:<jid>` for a run in a bucket, `<jid>` for a job that died. It is pushed
   with the buckets; a worker killed by kill -9 loses the successes it kept from the
   history (fewer than RIDE while jobs flow; the jobs themselves were acknowledged).
4. Trimming (`trim`, from the heartbeat): while the index holds more than
   HISTORY_SIZE entries, the oldest are popped with their fields and keys, TRIM_BATCH
   a round trip, at most TRIM_ROUNDS a beat. HISTORY_TTL needs no work: every key
   expires by itself. A job that ended twice (dead, retried from the dashboard, then
   succeeded) is in the index twice, and may lose its history when the older goes.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Mapping
from threading import Event
from typing import Any, TypeVar, cast

import redis

from jobs.completion import Command, Part
from jobs.payload import read_retry_count
from jobs.redis import keys
from jobs.redis.lane import thread_lane

logger = logging.getLogger("jobs.worker")

PAYLOAD_MAX = 4096  # bytes of a payload kept whole; a bigger one is kept without its args
ERROR_MAX = 1000  # characters of the error kept with a run
TRIM_BATCH = 1000
INDEX_BATCH = 10_000  # entries an LPUSH of the index (or fields an HSET) adds at most
TRIM_ROUNDS = 50
PENDING_MAX = 50_000  # runs waiting for a write at most (a long outage drops the oldest)
WRITE_EVERY = 1.0  # seconds between two writes of what is left by the main thread
RIDE = 64  # successes whose write rides one ack
BUCKETS_PER_TTL = 1440  # a bucket per minute over a day; longer ones for a longer TTL
STATES = frozenset({"succeeded", "discarded", "retry", "dead"})
FINAL = frozenset({"succeeded", "discarded"})

T = TypeVar("T")
# A run waiting for its write: jid, run number, start (ms), duration (us), payload bytes.
Finished = tuple[str, int, int, int, bytes]


def run_number(payload: Mapping[str, Any]) -> int:
    """Which run of the job this is: 1, then 2 after the first failure (retry_count 0), ..."""
    if payload.get("retry_count") is None:  # the common case, and the quickest
        return 1
    count = read_retry_count(payload)
    return 1 if count is None else count + 2


def bucket_width(ttl: int) -> int:
    """Seconds a bucket spans: a minute, or more so a TTL holds at most BUCKETS_PER_TTL."""
    return max(60, -(-ttl // BUCKETS_PER_TTL))


class HistoryWriter:
    """Keeps each run for the next write (successes) or builds its commands (failures)."""

    def __init__(self, identity: str, ttl: int, size: int) -> None:
        self.enabled = size > 0
        self.ttl = ttl
        self.size = size
        self.worker = identity
        self.width = bucket_width(ttl)
        self._success = (
            b'{"n":%%d,"state":"succeeded","worker":%s,"start_ms":%%d,"took_us":%%d}\n%%b'
            % json.dumps(identity).encode()
        )
        # Appended by the processor threads, taken by `write` (deque: thread-safe ends):
        # successes as tuples (formatted in the write's batch), discarded runs formatted.
        self._succeeded: deque[Finished] = deque(maxlen=PENDING_MAX)
        self._ended: deque[tuple[str, bytes]] = deque(maxlen=PENDING_MAX)
        self._died: deque[str] = deque(maxlen=PENDING_MAX)

    def succeeded(
        self, raw: bytes, payload: Mapping[str, Any], started: float, took: float
    ) -> tuple[Command, ...]:
        """Keep a successful run (the hot path: no JSON); every RIDE runs, their write.

        The write rides the ack of the run that filled the batch, so runs wait in memory
        for milliseconds while jobs flow; the main thread writes what is left each second.
        """
        jid = payload["jid"]
        if ":" in jid:  # a colon could name another job's keys, or break the index
            return ()
        n, kept = run_number(payload), _kept(raw, payload)
        succeeded = self._succeeded
        succeeded.append((jid, n, int(started * 1000), int(took * 1e6), kept))
        if len(succeeded) < RIDE:
            return ()
        return self._batch(started + took, RIDE)

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
        """The writes that record a failed run; () for a final one, kept for the next write."""
        jid = payload["jid"]
        if not self.enabled or ":" in jid:
            return ()
        line = self._line(run_number(payload), state, started, took, error, score)
        if state in FINAL:
            self._ended.append((jid, line.encode() + b"\n" + _kept(raw, payload)))
            return ()
        if state == "dead":  # indexed too: it may stay in dead (a retry is, when it ends)
            self._died.append(jid)
        runs = keys.history_runs(jid)
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

    def _batch(self, now: float, most: int) -> tuple[Command, ...]:
        """The commands that write up to `most` of the kept runs of each kind; () if none."""
        fields: list[Part] = []
        entries: list[str] = []
        start = int(now // self.width * self.width)
        head = f"{start}:"
        success = self._success
        taken = _take(self._succeeded, most)
        for jid, n, started, took, kept in taken:
            fields += (jid, success % (n, started, took, kept))
        entries += [head + run[0] for run in taken]
        for jid, value in _take(self._ended, most):
            fields += (jid, value)
            entries.append(head + jid)
        entries += _take(self._died, most)
        commands: list[Command] = []
        if fields:
            bucket = keys.finished(start)
            for at in range(0, len(fields), 2 * INDEX_BATCH):
                commands.append(("HSET", bucket, *fields[at : at + 2 * INDEX_BATCH]))
            commands.append(("EXPIRE", bucket, self.ttl + self.width))
            commands.append(("ZADD", keys.FINISHED, start, start))
        for at in range(0, len(entries), INDEX_BATCH):
            commands.append(("LPUSH", keys.HISTORY, *entries[at : at + INDEX_BATCH]))
        return tuple(commands)

    def write(self, client: redis.Redis, now: float) -> None:
        """Send every run kept, in one round trip; forget buckets past the TTL."""
        commands = self._batch(now, PENDING_MAX)
        if not commands:
            return
        # A bucket lives at most its width and the TTL after its start: older are gone.
        expired = int(now) - self.ttl - 2 * self.width
        prune = ("ZREMRANGEBYSCORE", keys.FINISHED, "-inf", f"({expired}")
        # Packed by hiredis on this thread's lane: redis-py would spend ~1 us an argument.
        thread_lane(client).call([*commands, prune])

    def write_until(self, client: redis.Redis, now: Callable[[], float], stopping: Event) -> None:
        """The worker's main thread: what no ack carried, written each second until stopped.

        A Redis error loses that write's runs and says nothing: the threads that need
        Redis report the outage (this one would report Redis back on every idle second).
        """
        while not stopping.wait(WRITE_EVERY):
            try:
                self.write(client, now())
            except redis.RedisError:
                continue
            except Exception:
                logger.exception("could not write the history")

    def flush(self, client: redis.Redis, now: float) -> int:
        """Write what is kept, then trim the index to HISTORY_SIZE; entries trimmed."""
        self.write(client, now)
        return trim(client, self.size)


def _take(pending: deque[T], most: int) -> list[T]:
    """Up to `most` items from the left of `pending` (other threads may take some too)."""
    taken: list[T] = []
    try:
        for _ in range(min(most, len(pending))):
            taken.append(pending.popleft())
    except IndexError:
        pass
    return taken


def _kept(raw: bytes, payload: Mapping[str, Any]) -> bytes:
    """The payload as the history keeps it: whole up to PAYLOAD_MAX, else without its args."""
    return raw if len(raw) <= PAYLOAD_MAX else _without_args(payload)


def _without_args(payload: Mapping[str, Any]) -> bytes:
    kept = {k: payload.get(k) for k in ("class", "queue", "jid", "created_at", "enqueued_at")}
    return json.dumps({**kept, "args": ["(arguments too large to keep in the history)"]}).encode()


def trim(client: redis.Redis, size: int) -> int:
    """Keep the newest `size` entries of the index and their runs, in bounded batches."""
    removed = 0
    held = cast(int, client.llen(keys.HISTORY))
    for _ in range(TRIM_ROUNDS):
        excess = held - size
        if excess <= 0:
            break
        oldest = cast(list[bytes] | None, client.rpop(keys.HISTORY, min(excess, TRIM_BATCH)))
        if not oldest:
            break
        pipe = client.pipeline(transaction=False)
        doomed: list[str] = []
        for entry in oldest:
            start, _, jid = entry.decode("utf-8", "replace").rpartition(":")
            if start.isdigit():
                pipe.hdel(keys.finished(int(start)), jid)
            doomed += [keys.history(jid), keys.history_runs(jid)]
        pipe.delete(*doomed)
        pipe.llen(keys.HISTORY)
        held = pipe.execute()[-1]
        removed += len(oldest)
    return removed
