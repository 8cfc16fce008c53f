"""Unique jobs: while an identical job is pending, enqueueing another pushes nothing.

1. Identity: class + queue + args as canonical JSON, hashed (`digest()`).
2. The lock is a hash `jobs:unique:<digest>` whose one field is the jid of the job
   that owns it, expiring after `unique_for` seconds (plus the wait of a scheduled
   job). It is taken by the Lua script that pushes the job (unique_push.lua): one
   atomic step, so enqueuers racing from any number of processes never both win.
3. Release: `HDEL jobs:unique:<digest> <jid>` removes the lock only while this job
   owns it (a compare-and-delete with no script), sent with the job's ack (a
   jobs.completion write: no extra round trip) on success, discard, drop and dead.
   A retry keeps the lock (the job is still pending); `unique_until = "start"`
   releases it just before perform() instead.
4. A job that dies with its worker keeps its lock until the TTL: never for ever.
The payload carries `unique_for` (Sidekiq Enterprise's field), `unique_until` when it
is "start", and `unique_digest`; a worker builds the key from a checked hex digest,
never from a key name read from Redis.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Sequence
from typing import Any, cast

import redis
from redis.exceptions import NoPermissionError, NoScriptError

from jobs.completion import Command, Completion
from jobs.payload import Payload, dumps, number
from jobs.redis import keys
from jobs.redis.lane import thread_lane
from jobs.redis.scripts import script

logger = logging.getLogger("jobs.unique")

UNTIL = ("success", "start")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def check_options(unique_for: object, unique_until: object) -> None:
    """Raise ValueError for a `unique_for` that is not a number >= 0, or an unknown mode."""
    if unique_for is not None:
        seconds = number(unique_for)
        if seconds is None or not math.isfinite(seconds) or seconds < 0:
            raise ValueError(
                f"unique_for must be a number of seconds >= 0 (or None), not {unique_for!r}"
            )
    if unique_until not in UNTIL:
        raise ValueError(f"unique_until must be 'success' or 'start', not {unique_until!r}")


def digest(klass: str, queue: str, args: Sequence[Any]) -> str:
    """The identity of a job: sha256 of [class, queue, args] as canonical JSON."""
    text = json.dumps(
        [klass, queue, list(args)], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp(payload: Payload, unique_for: float, unique_until: str) -> None:
    """Mark `payload` unique (its identity computed from its class, queue and args)."""
    payload["unique_for"] = unique_for
    if unique_until != "success":
        payload["unique_until"] = unique_until
    payload["unique_digest"] = digest(payload["class"], payload["queue"], payload["args"])


def is_unique(payload: Payload) -> bool:
    return "unique_digest" in payload


def push(
    payloads: list[Payload], at: float | None, client: redis.Redis
) -> tuple[list[bool], NoPermissionError | None]:
    """Lock and push (or schedule for `at`) each job in one round trip.

    Returns which were pushed, and Redis's refusal of the PUBLISH announcing a
    scheduled job, if it refused (the jobs are scheduled: only the wake-up is missing).
    """
    now = time.time()
    wait = max(0.0, at - now) if at is not None else 0.0
    lock_keys: list[str] = [keys.QUEUES]
    argv: list[Any] = ["" if at is None else repr(float(at))]
    for payload in payloads:
        if at is None:
            payload["enqueued_at"] = now
        else:
            payload.pop("enqueued_at", None)
        dest = keys.queue(payload["queue"]) if at is None else keys.SCHEDULE
        lock_keys += [keys.unique(payload["unique_digest"]), dest]
        ttl = max(1, math.ceil(wait + float(payload["unique_for"])))
        argv += [payload["jid"], dumps(payload), ttl, payload["queue"]]
    pushing = script(client, "unique_push")
    command = ("EVALSHA", pushing.sha, len(lock_keys), *lock_keys, *argv)
    commands: list[tuple[Any, ...]] = [command]
    if at is not None:
        commands.append(("PUBLISH", keys.SCHEDULED, repr(float(at))))
    lane = thread_lane(client)
    try:
        try:
            replies = lane.call(commands)
        except NoScriptError:
            lane.load_script(str(pushing.script))
            replies = lane.call(commands)
    except NoPermissionError as exc:
        if at is None or not ("publish" in str(exc).lower() or "channel" in str(exc).lower()):
            raise
        # The script ran; only the PUBLISH after it was refused: ask the locks who won.
        owners = lane.call(
            [("HGET", key, p["jid"]) for key, p in zip(lock_keys[1::2], payloads, strict=True)]
        )
        return [owner is not None for owner in owners], exc
    return [bool(flag) for flag in cast(list[int], replies[0])], None


def release_command(payload: dict[str, Any]) -> Command | None:
    """`HDEL <lock> <jid>` for a unique job read from Redis (None if not unique or malformed)."""
    found = payload.get("unique_digest")
    jid = payload.get("jid")
    if not isinstance(found, str) or not _DIGEST.fullmatch(found) or not isinstance(jid, str):
        return None
    return ("HDEL", keys.unique(found), jid)


def releases_at_start(payload: dict[str, Any]) -> bool:
    return payload.get("unique_until") == "start"


def with_release(completion: Completion, payload: dict[str, Any]) -> Completion:
    """`completion` with the lock's release among its writes, unless the job is pending still."""
    if completion.kind == "retry" or "unique_digest" not in payload or releases_at_start(payload):
        return completion
    command = release_command(payload)
    if command is None:
        return completion
    return completion._replace(writes=(*completion.writes, command))


def release_now(client: redis.Redis, payload: dict[str, Any]) -> None:
    """Release the lock now (a `unique_until = "start"` job about to run)."""
    command = release_command(payload)
    if command is None:
        return
    try:
        thread_lane(client).call([command])
    except redis.RedisError as exc:  # the job runs anyway; its lock expires with unique_for
        logger.warning(
            "could not release the uniqueness lock of jid=%s at start: %s", payload.get("jid"), exc
        )
