"""Push payloads to Redis in Sidekiq's format, after the surrounding transaction commits.

1. Immediate jobs: `SADD queues` + `LPUSH queue:<name>` in one round trip (one
   multi-value LPUSH per queue for bulk pushes).
2. Future jobs: `ZADD schedule <at> <payload>` + `PUBLISH jobs:scheduled <at>` in one
   round trip; the poller moves them when due, woken for it by the announcement.
3. Inside `transaction.atomic()` the push waits for the commit; a rollback drops it.
4. A test mode (`jobs.testing`) may route the pushes of one thread to a `Backend`
   instead, before Redis is touched; other threads still push to Redis.
5. Unique jobs (jobs/unique.py) take their lock in the script that pushes them;
   a duplicate is not pushed, and enqueue() leaves it out of what it returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from django.db import DEFAULT_DB_ALIAS, transaction
from redis.exceptions import NoPermissionError

from jobs import tracing, unique
from jobs.exceptions import EnqueueError
from jobs.payload import Payload, dumps
from jobs.redis import durable, keys
from jobs.redis.connection import get_redis, mask_url
from jobs.redis.lane import thread_lane

logger = logging.getLogger("jobs.client")


class Backend:
    """Where one thread's jobs go instead of Redis (jobs.testing's fake and inline modes).

    `push` receives what would have been pushed; the others answer `MyJob.jobs`,
    `MyJob.drain()` and `MyJob.clear()`, and keep nothing by default.
    """

    def push(self, payloads: list[Payload], at: float | None) -> None:
        raise NotImplementedError

    def kept(self, name: str) -> list[Payload]:
        """The payloads kept for the job class called `name` (a live list)."""
        return []

    def drain(self, name: str | None) -> int:
        """Run the kept jobs (of `name`, or all) and those they enqueue; how many ran."""
        return 0

    def clear(self, name: str | None) -> None:
        """Forget the kept jobs of `name`, or all."""


# Per thread, as Sidekiq::Testing's mode: a test's mode never leaks into other threads
# (a worker, a live server, another test running in parallel).
_thread = threading.local()


def current_backend() -> Backend | None:
    """This thread's backend, or None when its jobs go to Redis."""
    backend: Backend | None = getattr(_thread, "backend", None)
    return backend


@contextmanager
def routed_to(backend: Backend) -> Iterator[Backend]:
    """Send this thread's jobs to `backend` inside the block (nested blocks restore the outer)."""
    previous = current_backend()
    _thread.backend = backend
    try:
        yield backend
    finally:
        _thread.backend = previous


def enqueue(
    payloads: list[Payload], *, at: float | None = None, on_commit: bool = True
) -> list[Payload] | None:
    """Push `payloads` now, or after the current transaction commits when inside one.

    Returns the payloads pushed (a unique job whose twin is pending is left out), or
    None when the push waits for the commit.
    """
    tracing.inject(payloads)  # the caller's trace continues into the jobs (OpenTelemetry)
    if on_commit and in_transaction():
        transaction.on_commit(lambda: _dispatch(payloads, at), using=DEFAULT_DB_ALIAS)
        return None
    return _dispatch(payloads, at)


def in_transaction() -> bool:
    """True inside an atomic block of the app's own (not one opened by a Django TestCase,
    whose commit never comes: there, jobs go out at once as they would in production)."""
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    if not connection.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _dispatch(payloads: list[Payload], at: float | None) -> list[Payload]:
    from jobs.signals import job_enqueued

    backend: Backend | None = getattr(_thread, "backend", None)
    due = at if at is not None and at > time.time() else None
    if backend is not None:
        backend.push(payloads, at)
    elif payloads and unique.is_unique(payloads[0]):
        payloads = _push_unique(payloads, due)
    elif due is not None:
        schedule_payloads(payloads, due)
    else:
        push_payloads(payloads)
    if job_enqueued.receivers:
        for payload in payloads:
            job_enqueued.send(sender=None, payload=payload)
    return payloads


def _push_unique(payloads: list[Payload], at: float | None) -> list[Payload]:
    """Push the unique jobs whose lock is free; the ones pushed."""
    client = get_redis()
    try:
        pushed, refused = unique.push(payloads, at, client)
    except redis.RedisError as exc:
        url = mask_url(_client_url(client))
        raise EnqueueError(
            f"could not enqueue {len(payloads)} {payloads[0].get('class', '?')} job(s) "
            f"to Redis at {url}: {exc}"
        ) from exc
    if refused is not None:
        _warn_unannounced(refused)
    return [payload for payload, ok in zip(payloads, pushed, strict=True) if ok]


def push_payloads(payloads: list[Payload], client: redis.Redis | None = None) -> None:
    """Push ready jobs to their queues in one round trip, stamping `enqueued_at`."""
    now = time.time()
    by_queue: dict[str, list[str]] = {}
    for payload in payloads:
        payload["enqueued_at"] = now
        by_queue.setdefault(payload["queue"], []).append(dumps(payload))
    commands: list[tuple[Any, ...]] = [("SADD", keys.QUEUES, *by_queue)]
    commands += [("LPUSH", keys.queue(queue), *encoded) for queue, encoded in by_queue.items()]
    _send(commands, client or get_redis(), payloads)


def schedule_payloads(
    payloads: list[Payload], at: float, client: redis.Redis | None = None
) -> None:
    """Add future jobs to the `schedule` sorted set (no `enqueued_at`, as Sidekiq).

    The PUBLISH, in the same round trip, wakes every worker's poller for `at`.
    """
    members: list[Any] = []
    for payload in payloads:
        payload.pop("enqueued_at", None)
        members += [at, dumps(payload)]
    announce = ("PUBLISH", keys.SCHEDULED, repr(float(at)))
    _send([("ZADD", keys.SCHEDULE, *members), announce], client or get_redis(), payloads)


def _send(commands: list[tuple[Any, ...]], client: redis.Redis, payloads: list[Payload]) -> None:
    """One round trip on this thread's own connection to `client`'s server.

    With JOBS["DURABLE_PUSH"], a WAIT for replicas ends the round trip (jobs/redis/durable.py).
    """
    wait = durable.wait_command()
    try:
        replies = thread_lane(client).call([*commands, wait] if wait else commands)
    except redis.RedisError as exc:
        if commands[-1][0] == "PUBLISH" and _publish_refused(exc):
            _warn_unannounced(exc)  # the job is scheduled: only the wake-up is missing
            return
        url = mask_url(_client_url(client))
        first = payloads[0].get("class", "?") if payloads else "?"
        raise EnqueueError(
            f"could not enqueue {len(payloads)} {first} job(s) to Redis at {url}: {exc}"
        ) from exc
    if wait:
        first = payloads[0].get("class", "?") if payloads else "?"
        durable.confirm(wait, replies[-1], f"the push of {len(payloads)} {first} job(s)")


def _publish_refused(exc: redis.RedisError) -> bool:
    """True for an ACL refusal of the PUBLISH (the error of the ZADD before it comes first)."""
    text = str(exc).lower()
    return isinstance(exc, NoPermissionError) and ("publish" in text or "channel" in text)


_warned = threading.Event()


def _warn_unannounced(exc: redis.RedisError) -> None:
    if not _warned.is_set():
        _warned.set()
        logger.warning(
            "Redis refused PUBLISH %s (%s): scheduled jobs run at the next poll instead "
            "of on time; allow the user +publish and &jobs:*",
            keys.SCHEDULED,
            exc,
        )


def _client_url(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    service = getattr(client.connection_pool, "service_name", None)  # redis+sentinel://
    if isinstance(service, str):
        return f"the primary of Sentinel service {service!r} (db {kwargs.get('db', 0)})"
    host, port, db = kwargs.get("host", "?"), kwargs.get("port", "?"), kwargs.get("db", 0)
    password = kwargs.get("password")
    auth = ":x@" if password else ""
    return f"redis://{auth}{host}:{port}/{db}"
