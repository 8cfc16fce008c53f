"""The hints listener: one SUBSCRIBE connection that wakes the poller when a job is scheduled.

1. Subscribe to `jobs:scheduled` (keys.SCHEDULED), where our enqueuers and the
   acker's retry writes announce the due time of each job they add to `schedule`
   or `retry` (a number), and pollers of other processes what they moved
   (`moved <db> <through> <next>`, heeded for our database only: pub/sub channels
   span every database of a server); tell the poller's alarm (WakeUp) each.
2. Cost nothing while nothing is scheduled: the connection only listens (no
   health-check PINGs; TCP keepalive notices a dead peer).
3. At start, check that Redis lets this user PUBLISH and SUBSCRIBE (an ACL made
   before this feature may not): if not, say so once, stop announcing retries (a
   refused PUBLISH inside the acker's MULTI would abort the move) and leave the
   poller to its random passes.
4. Outages: the connection is dropped and made again by the shared loop
   (jobs.runtime.loop); after each (re)subscription the poller is told to look at
   once, since announcements made while nobody listened are lost.
5. `paused` (a queue was paused or resumed: jobs.api.queues) calls `on_paused`,
   which makes the worker read the paused set now (jobs/worker/pauses.py).
Messages are untrusted: anything but a finite number is ignored.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
from collections.abc import Callable
from typing import Any

import redis
from redis.client import PubSub
from redis.exceptions import NoPermissionError

from jobs import moves
from jobs.redis import keys
from jobs.runtime.health import RedisHealth
from jobs.runtime.loop import redis_loop
from jobs.worker.wakeup import WakeUp

logger = logging.getLogger("jobs.worker")

PAUSED_HINT = keys.PAUSED_HINT.encode()
# How long one read blocks before the loop looks at the stop flag again.
LISTEN_SLICE = 1.0


def listener_client(client: redis.Redis) -> redis.Redis:
    """A client for `client`'s server whose connection listens without PINGs."""
    pool = client.connection_pool
    options: dict[str, Any] = {**pool.connection_kwargs, "health_check_interval": 0}
    # TCP only (a unix socket has no keepalive): notice a silently dead peer in about 1 min.
    if options.get("socket_keepalive") and hasattr(socket, "TCP_KEEPIDLE"):
        options["socket_keepalive_options"] = {
            socket.TCP_KEEPIDLE: 30,
            socket.TCP_KEEPINTVL: 10,
            socket.TCP_KEEPCNT: 3,
        }
    own = redis.ConnectionPool(connection_class=pool.connection_class, max_connections=2, **options)
    return redis.Redis(connection_pool=own)


def due_time(data: object) -> float | None:
    """The due time a message announces, or None when it is no finite number."""
    if not isinstance(data, bytes | str) or len(data) > 64:
        return None
    try:
        at = float(data)
    except ValueError:
        return None
    return at if math.isfinite(at) else None


def moved_news(data: object, db: int) -> tuple[float, float | None] | None:
    """(through, next due time or None) from `moved <db> <through> <next|->` about `db`."""
    if not isinstance(data, bytes) or len(data) > 128:
        return None
    parts = data.split()
    if len(parts) != 4 or parts[0] != b"moved" or parts[1] != str(db).encode():
        return None
    through = due_time(parts[2])
    next_at = None if parts[3] == b"-" else due_time(parts[3])
    if through is None or (next_at is None and parts[3] != b"-"):
        return None
    return through, next_at


class HintsListener:
    """A thread that tells the poller's alarm every due time announced on `jobs:scheduled`."""

    def __init__(
        self,
        client: redis.Redis,
        wakeup: WakeUp,
        health: RedisHealth,
        stop: threading.Event,
        on_paused: Callable[[], None] | None = None,
    ) -> None:
        self.client = listener_client(client)
        self.db = int(client.connection_pool.connection_kwargs.get("db") or 0)
        self.wakeup = wakeup
        self.on_paused = on_paused
        self.health = health
        self.stop = stop
        self._pubsub: PubSub | None = None
        self.allowed = True
        self._thread = threading.Thread(target=self._run, name="hints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def listening(self) -> bool:
        """True while subscribed (tests wait for it)."""
        return self._pubsub is not None

    def _run(self) -> None:
        allowed = redis_loop(
            self._check, where="hints listener", health=self.health, stopping=self.stop
        )
        if allowed and self.allowed:
            redis_loop(self._step, where="hints listener", health=self.health, stopping=self.stop)
        self._close()

    def _check(self) -> None:
        """PUBLISH and SUBSCRIBE allowed? (an empty message: every listener ignores it)"""
        try:
            self.client.publish(keys.SCHEDULED, "")
            self._pubsub = self._subscribe()
        except NoPermissionError as exc:
            self._refused(exc)

    def _refused(self, exc: NoPermissionError) -> None:
        self.allowed = False
        moves.ANNOUNCE["publish"] = False
        self._close()
        logger.warning(
            "Redis refused pub/sub on %s (%s): scheduled jobs and retries run at the next "
            "poll (POLL_INTERVAL) instead of on time; allow the user +publish +subscribe "
            "&jobs:scheduled",
            keys.SCHEDULED,
            exc,
        )

    def _step(self) -> float | None:
        try:
            if self._pubsub is None:
                self._pubsub = self._subscribe()
            message = self._pubsub.get_message(timeout=LISTEN_SLICE)
        except NoPermissionError as exc:  # SUBSCRIBE's refusal comes with the first read
            self._refused(exc)
            return None
        except redis.RedisError:
            self._close()
            raise
        if message is not None and message.get("type") == "message":
            self._heard(message.get("data"))
        return 0.0

    def _heard(self, data: object) -> None:
        if data == PAUSED_HINT:
            if self.on_paused is not None:
                self.on_paused()
            return
        at = due_time(data)
        if at is not None:
            self.wakeup.tell(at)
            return
        moved = moved_news(data, self.db)
        if moved is not None:
            self.wakeup.moved(*moved)

    def _subscribe(self) -> PubSub:
        # redis-py leaves pubsub() and subscribe() untyped.
        pubsub: PubSub = self.client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        try:
            pubsub.subscribe(keys.SCHEDULED)  # type: ignore[no-untyped-call]
        except BaseException:
            pubsub.close()
            raise
        self.wakeup.tell(-math.inf)  # what was announced while nobody listened: look now
        return pubsub

    def _close(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(redis.RedisError):
                pubsub.close()
