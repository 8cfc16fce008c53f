"""Sidekiq's three sorted sets of jobs (schedule, retry, dead) behind one class.

1. Read: size, a page in either order, a bounded search, members found again by key.
2. Act on chosen members: run now (move to their queues), delete, kill (move to dead).
3. Act on every member matching a search, in batches of BATCH per Redis call and
   within a time budget, so 100,000 dead jobs can be retried from one click without
   the request timing out; the result says whether everything was done.

Moves go through `jobs.moves`, the same atomic scripts the worker uses, so a job
clicked in the dashboard while the poller moves it is still moved exactly once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import redis

from jobs import moves
from jobs.api.records import JobRecord
from jobs.api.search import BATCH, JobPage, matches, normalize, search_page
from jobs.exceptions import InvalidPayload
from jobs.payload import dumps
from jobs.redis import keys

# Seconds one request may spend on a bulk action before it reports partial progress.
BULK_TIME_BUDGET = 20.0
MAX_KEYS = 1000


class Action(StrEnum):
    """What can be done to a sorted-set member."""

    ENQUEUE = "enqueue"  # run now / retry now
    DELETE = "delete"
    KILL = "kill"


@dataclass(frozen=True)
class BulkResult:
    """Progress of an action on every matching member."""

    done: int  # members acted on
    examined: int  # members looked at
    finished: bool  # False when the time budget ran out first


def parse_key(key: str) -> tuple[float, str] | None:
    """Split `<score>-<id>` into (score, id), or None when malformed."""
    score_text, sep, job_id = key.rpartition("-")
    if not sep or not job_id or len(key) > 200:
        return None
    try:
        score = float(score_text)
    except ValueError:
        return None
    return None if math.isnan(score) else (score, job_id)  # NaN never matches a score


class SortedJobSet:
    """The `schedule`, `retry` or `dead` sorted set; score = a time in epoch seconds."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        if key not in keys.SORTED_SETS:
            raise ValueError(f"not a job sorted set: {key!r}")
        self.client = client
        self.key = key

    def size(self) -> int:
        """Number of members."""
        return cast(int, self.client.zcard(self.key))

    def range(self, start: int, count: int, newest_first: bool) -> list[JobRecord]:
        """Members at ranks start .. start + count - 1, by score (descending if newest_first)."""
        rows = cast(
            list[tuple[bytes, float]],
            self.client.zrange(
                self.key, start, start + count - 1, desc=newest_first, withscores=True
            ),
        )
        return [JobRecord(member, float(score)) for member, score in rows]

    def page(self, offset: int, count: int, newest_first: bool, query: str = "") -> JobPage:
        """One page of members, optionally only those matching `query` (bounded scan)."""
        return search_page(
            lambda start, n: self.range(start, n, newest_first), self.size(), query, offset, count
        )

    def find(self, job_keys: Iterable[str]) -> list[JobRecord]:
        """The members named by `<score>-<id>` keys that still exist (at most MAX_KEYS)."""
        wanted = [parsed for key in list(job_keys)[:MAX_KEYS] if (parsed := parse_key(key))]
        if not wanted:
            return []
        pipe = self.client.pipeline(transaction=False)
        for score, _ in wanted:
            pipe.zrangebyscore(self.key, repr(score), repr(score), withscores=True)
        found: dict[bytes, JobRecord] = {}
        replies: list[list[tuple[bytes, float]]] = pipe.execute()
        for (_, job_id), rows in zip(wanted, replies, strict=True):
            for member, score in rows:
                record = JobRecord(member, float(score))
                if record.id == job_id:
                    found[record.raw] = record
        return list(found.values())

    def apply(self, action: Action, records: list[JobRecord], now: float) -> int:
        """Do `action` to `records` (members as read); return how many were acted on."""
        if not records:
            return 0
        if action is Action.DELETE:
            return cast(int, self.client.zrem(self.key, *(r.raw for r in records)))
        if action is Action.ENQUEUE:
            raws: list[moves.Member] = [r.raw for r in records]
            return moves.move_to_queues(self.client, self.key, raws, now, by_hand=True)
        if self.key == keys.DEAD:
            return 0  # already dead
        pairs: list[tuple[moves.Member, str]] = [(r.raw, dead_record(r, now)) for r in records]
        return moves.kill(self.client, self.key, "zset", pairs, now).moved

    def apply_matching(
        self, action: Action, query: str, now: float, budget: float = BULK_TIME_BUDGET
    ) -> BulkResult:
        """Do `action` to every member matching `query` (all when empty), batch by batch.

        ZSCAN is used, not ranks: members removed by earlier batches never make it skip
        others, and every member present throughout is seen at least once.
        """
        needle = normalize(query)
        deadline = time.monotonic() + budget
        cursor, done, examined = 0, 0, 0
        while True:
            cursor, rows = self._scan(cursor)
            records = [JobRecord(member, float(score)) for member, score in rows]
            examined += len(records)
            done += self.apply(action, [r for r in records if matches(r, needle)], now)
            if cursor == 0:
                return BulkResult(done, examined, True)
            if time.monotonic() > deadline:
                return BulkResult(done, examined, False)

    def _scan(self, cursor: int) -> tuple[int, list[tuple[bytes, float]]]:
        """One ZSCAN step of about BATCH members."""
        reply = cast(
            tuple[int, list[tuple[bytes, float]]], self.client.zscan(self.key, cursor, count=BATCH)
        )
        return int(reply[0]), reply[1]


def dead_record(record: JobRecord, now: float) -> str:
    """What a killed member becomes in the dead set: itself, or a readable salvage."""
    if record.ok:
        return record.decoded()
    return dumps(moves.unreadable_record(record.raw, InvalidPayload(record.problem), now))
