"""The three limiters: concurrent (leases), window (sliding log) and bucket (token bucket)."""

from __future__ import annotations

import logging

import redis

from jobs.limits.base import Limiter, check_seconds
from jobs.redis.lane import thread_lane

logger = logging.getLogger("jobs.limits")

# With no lease about to expire, a concurrent limiter suggests trying again after this.
CONCURRENT_HINT = 0.5


class Concurrent(Limiter):
    """At most `n` blocks at once across every worker; each holds a lease of `lock_timeout` s.

    Leases live in a sorted set scored by expiry: a killed worker's lease is dropped
    by the next ask after it expires. A block running longer than `lock_timeout`
    loses its lease (as in Sidekiq Enterprise), so set it above the longest block.
    """

    kind = "concurrent"
    script_name = "limit_concurrent"

    def ask(self, token: str) -> tuple[bool, int]:
        taken, retry_ms = super().ask(token)
        return taken, min(retry_ms, int(CONCURRENT_HINT * 1000))

    def give_back(self, token: str) -> None:
        try:
            thread_lane(self.client).call([("ZREM", self.key, token)])
        except redis.RedisError as exc:  # the block's work is done: do not fail it for this
            logger.warning(
                "could not give back a lease of %r (%s); it expires in %g s",
                self.name,
                exc,
                self.seconds,
            )


class Window(Limiter):
    """At most `n` blocks entered in any `per` seconds: a sliding window, not a fixed one.

    Every admitted entry is kept (scored by when) until it leaves the window, so the
    limit holds in every window of `per` seconds, also across the edges of fixed ones.
    """

    kind = "window"
    script_name = "limit_window"


class Bucket(Limiter):
    """A token bucket: bursts of up to `n`, refilled at `n` per `per` seconds."""

    kind = "bucket"
    script_name = "limit_bucket"


def concurrent(
    name: str, n: int, lock_timeout: float = 30, client: redis.Redis | None = None
) -> Concurrent:
    """At most `n` at once (`lock_timeout`: seconds a lease lasts if its worker dies)."""
    return Concurrent(name, n, check_seconds("lock_timeout", lock_timeout), client)


def window(name: str, n: int, per: float = 1, client: redis.Redis | None = None) -> Window:
    """At most `n` entries in any sliding window of `per` seconds."""
    return Window(name, n, check_seconds("per", per), client)


def bucket(name: str, n: int, per: float = 1, client: redis.Redis | None = None) -> Bucket:
    """A token bucket of `n` tokens refilled at `n` per `per` seconds."""
    return Bucket(name, n, check_seconds("per", per), client)
