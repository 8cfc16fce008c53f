"""A job that hit a limit goes back to the schedule set for later: no failure, no retry.

The worker (jobs/worker/executor.py) turns OverLimit into a Completion whose writes
add the job to `schedule` (and announce it to the pollers) in the round trip of its
ack: the job is never in two places, nor lost. `retry_count` and the failure
counters stay as they were; the payload counts its bounces in `overrated` (Sidekiq
Enterprise's field), which widens the jitter (linearly) so crowds of bounced jobs spread out.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from jobs import moves
from jobs.completion import Command, Completion
from jobs.limits.base import OverLimit
from jobs.payload import dumps, whole
from jobs.redis import keys

# Seconds: the shortest and longest a bounced job waits.
LEAST_DELAY = 0.05
MOST_DELAY = 300.0
# The jitter's width at the first bounce; it grows by as much with each bounce (as Sidekiq
# Enterprise's linear backoff), up to MOST_DELAY.
JITTER = 0.5


def delay(retry_after: float, overrated: int, rand: float | None = None) -> float:
    """Seconds to wait: the limiter's hint plus a jitter that widens with each bounce."""
    spread = min(MOST_DELAY, JITTER * (1 + max(0, overrated)))
    jitter = (random.random() if rand is None else rand) * spread
    return min(MOST_DELAY, max(LEAST_DELAY, retry_after) + jitter)


def rescheduled(raw: bytes, payload: Mapping[str, Any], exc: OverLimit, now: float) -> Completion:
    """The Completion that acks `raw` and puts the job in `schedule` for later."""
    record = dict(payload)
    record.pop("enqueued_at", None)  # as every scheduled job (Sidekiq's format)
    bounces = whole(record.get("overrated")) or 0
    record["overrated"] = bounces + 1
    at = now + delay(exc.retry_after, bounces)
    writes: tuple[Command, ...] = (("ZADD", keys.SCHEDULE, repr(at), dumps(record)),)
    if moves.ANNOUNCE["publish"]:
        writes += (("PUBLISH", keys.SCHEDULED, repr(at)),)
    return Completion(raw, writes=writes)
