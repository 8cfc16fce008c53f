"""Where is job `jid`? `find(client, jid)` looks everywhere a job can be, with bounded work.

1. The history (jobs/api/past.py), a few round trips: a job that succeeded or was
   discarded is answered from it; a job that last failed names the score it was
   given in `retry` or `dead`, where one ZRANGEBYSCORE finds it.
2. Otherwise, in the order a job moves, so a move during the search rarely hides it:
   the in-progress lists of live workers (and Sidekiq's `<identity>:work` hashes),
   the queues, then `schedule`, `retry` and `dead`.
Bounds: the history reads at most 50 runs; at most MAX_PROCESSES processes and
INPROGRESS_MAX jobs of each; at most QUEUE_SCAN queue entries in all (read in
batches of 1,000); in each sorted set at most SET_SCAN members, matched by Redis
(ZSCAN MATCH) so only matches travel. A job beyond those bounds is not found.
"""

from __future__ import annotations

from typing import cast

import redis

from jobs.api import past as history
from jobs.api.processes import ProcessSet
from jobs.api.queues import queue_names
from jobs.api.records import SAFE_ID, JobRecord
from jobs.redis import keys

STATES = ("enqueued", "scheduled", "running", "retry", "dead", "succeeded", "discarded")
MAX_PROCESSES = 100
INPROGRESS_MAX = 1000
QUEUE_SCAN = 100_000
SET_SCAN = 100_000
BATCH = 1000
SETS = (("scheduled", keys.SCHEDULE), ("retry", keys.RETRY), ("dead", keys.DEAD))


class FoundJob(JobRecord):
    """A job found by `find()`: the record, its state, where it is, and its history."""

    def __init__(
        self,
        raw: bytes | str,
        state: str,
        score: float | None = None,
        where: str = "",
        past: history.Past | None = None,
    ) -> None:
        super().__init__(raw, score)
        self.state = state  # one of STATES
        self.where = where  # the queue, the process or the set
        self.past = past

    @property
    def runs(self) -> list[history.Run]:
        """The runs the history kept, oldest first."""
        return self.past.runs if self.past is not None else []


def find(client: redis.Redis, jid: str) -> FoundJob | None:
    """The job `jid` wherever it is now, or None (unknown, expired, or beyond the bounds)."""
    return locate(client, jid)[0]


def locate(client: redis.Redis, jid: str) -> tuple[FoundJob | None, history.Past | None]:
    """`find()`, with the history it read: a job found nowhere may still have runs kept."""
    if not isinstance(jid, str) or not SAFE_ID.match(jid):
        return None, None
    past = history.read(client, jid)
    last = past.last if past is not None else None
    if past is not None and last is not None and last.state in ("succeeded", "discarded"):
        raw = past.payload or _stub(jid)
        return FoundJob(raw, last.state, last.ended, last.worker, past), past
    found = _hinted(client, jid, last) or _running(client, jid)
    found = found or _queued(client, jid) or _in_sets(client, jid)
    if found is not None:
        if found.state in ("retry", "dead") and (last is None or last.state != found.state):
            past = history.read(client, jid)  # it failed again while we looked: that run too
        found.past = past
    return found, past


def _stub(jid: str) -> bytes:
    return b'{"jid":"' + jid.encode() + b'","class":"(not kept)","args":[]}'


def _is(raw: bytes, jid: str) -> bool:
    """Whether `raw` is the payload of `jid` (a cheap test first, then parsed)."""
    return jid.encode() in raw and JobRecord(raw).jid == jid


def _hinted(client: redis.Redis, jid: str, last: history.Run | None) -> FoundJob | None:
    """The retry or dead member at the score the history noted for the last run."""
    if last is None or last.score is None or last.state not in ("retry", "dead"):
        return None
    key = keys.RETRY if last.state == "retry" else keys.DEAD
    score = last.score
    members = cast(list[bytes], client.zrangebyscore(key, score, score, start=0, num=BATCH))
    for raw in members:
        if _is(raw, jid):
            return FoundJob(raw, last.state, score, key)
    return None


def _running(client: redis.Redis, jid: str) -> FoundJob | None:
    """In a live worker's in-progress list, or in a Sidekiq process's running jobs."""
    owners: list[str] = []
    for raw in client.sscan_iter(keys.WORKERS, count=500):
        owners.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
        if len(owners) >= MAX_PROCESSES:
            break
    pipe = client.pipeline(transaction=False)
    for owner in owners:
        pipe.lrange(keys.inprogress(owner), 0, INPROGRESS_MAX - 1)
    for owner, jobs in zip(owners, pipe.execute() if owners else [], strict=True):
        for raw in jobs:
            if _is(raw, jid):
                return FoundJob(raw, "running", where=owner)
    processes = ProcessSet(client)
    for job in processes.running(processes.identities()[:MAX_PROCESSES]):
        if job.job.jid == jid:
            return FoundJob(job.job.raw, "running", where=job.identity)
    return None


def _queued(client: redis.Redis, jid: str) -> FoundJob | None:
    """In a queue, reading at most QUEUE_SCAN entries over all queues."""
    budget = QUEUE_SCAN
    for name in queue_names(client):
        start = 0
        while budget > 0:
            count = min(BATCH, budget)
            rows = cast(list[bytes], client.lrange(keys.queue(name), start, start + count - 1))
            budget -= len(rows)
            for raw in rows:
                if _is(raw, jid):
                    return FoundJob(raw, "enqueued", where=name)
            if len(rows) < count:
                break
            start += count
    return None


def _in_sets(client: redis.Redis, jid: str) -> FoundJob | None:
    """In `schedule`, `retry` or `dead`: Redis matches the members, SET_SCAN of each at most."""
    for state, key in SETS:
        cursor = 0
        for _ in range(SET_SCAN // BATCH):
            reply = cast(
                tuple[int, list[tuple[bytes, float]]],
                client.zscan(key, cursor, match=f"*{jid}*", count=BATCH),
            )
            cursor = int(reply[0])
            for raw, score in reply[1]:
                if _is(raw, jid):
                    return FoundJob(raw, state, float(score), key)
            if cursor == 0:
                break
    return None
