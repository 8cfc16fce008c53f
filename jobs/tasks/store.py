"""The result record of each task in Redis: one hash, `jobs:task:<jid>`, and its writes.

1. Enqueue: the record (READY, task path, args, kwargs, times) is written in the same
   MULTI as the push to the queue (or the schedule set), in one round trip: a task is
   never queued without its record, nor recorded without being queued.
2. Each attempt `n` writes `worker:<n>` and `started:<n>` when it starts (batched, see
   journal.py) and again with its outcome, which goes out with the job's
   acknowledgement or its retry/dead move (jobs.completion.write_with_ack).
3. Outcomes: `status` SUCCESSFUL (with `return_value`), FAILED, or READY again when a
   retry follows; `error:<n>` holds attempt n's error; `done` the last attempt ended.
   A finished record expires RESULT_TTL seconds later; a waiting one PENDING_TTL
   seconds after its last write.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from jobs.exceptions import EnqueueError
from jobs.payload import Payload, dumps
from jobs.redis import durable, keys
from jobs.redis.connection import get_redis
from jobs.redis.lane import thread_lane

Command = tuple[Any, ...]

# The class written in task payloads: the job that runs tasks in the worker (wrapper.py).
WRAPPER = "jobs.tasks.TaskJob"

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode(value: Any) -> str:
    """Compact JSON, NaN refused (ValueError), other types refused (TypeError)."""
    if value is None:  # what most tasks return
        return "null"
    return _encoder.encode(value)


def record_fields(payload: Payload, backend: str, enqueued_at: float) -> list[Any]:
    """The fields a task's record starts with, flat for HSET."""
    args, kwargs = payload["args"]
    fields: list[Any] = ["task", payload["display_class"], "backend", backend]
    fields += ["queue", payload["queue"], "args", encode(args), "kwargs", encode(kwargs)]
    fields += ["status", "READY", "enqueued_at", repr(enqueued_at)]
    return fields


def push_commands(
    payload: Payload, backend: str, at: float | None, pending_ttl: int, now: float
) -> list[Command]:
    """One MULTI: the READY record, its TTL, and the push (queue now, or schedule at `at`)."""
    key = keys.task_result(payload["jid"])
    commands: list[Command] = [("MULTI",), ("HSET", key, *record_fields(payload, backend, now))]
    if at is not None and at > now:
        payload.pop("enqueued_at", None)
        commands.append(("EXPIRE", key, pending_ttl + int(at - now)))
        commands.append(("ZADD", keys.SCHEDULE, at, dumps(payload)))
    else:
        payload["enqueued_at"] = now
        queue = payload["queue"]
        commands.append(("EXPIRE", key, pending_ttl))
        commands.append(("SADD", keys.QUEUES, queue))
        commands.append(("LPUSH", keys.queue(queue), dumps(payload)))
    commands.append(("EXEC",))
    return commands


def send(commands: list[Command], what: str) -> None:
    """Send `commands` in one round trip on this thread's own connection.

    With JOBS["DURABLE_PUSH"], a WAIT for replicas ends it (jobs/redis/durable.py).
    """
    wait = durable.wait_command()
    try:
        replies = thread_lane(get_redis()).call([*commands, wait] if wait else commands)
    except redis.RedisError as exc:
        raise EnqueueError(f"could not enqueue {what} to Redis: {exc}") from exc
    acknowledged = replies.pop() if wait else None
    executed = replies[-1]
    if not isinstance(executed, list):  # EXEC answered nil: the transaction was aborted
        raise EnqueueError(f"could not enqueue {what}: Redis aborted the transaction")
    errors = [reply for reply in executed if isinstance(reply, redis.ResponseError)]
    if errors:
        raise EnqueueError(f"could not enqueue {what}: {errors[0]}")
    if wait:
        durable.confirm(wait, acknowledged, f"the push of {what}")


def read(client: redis.Redis, jid: str) -> dict[str, str]:
    """The record of `jid` as text fields (empty when unknown or expired)."""
    raw: dict[bytes, bytes] = client.hgetall(keys.task_result(jid))  # type: ignore[assignment]
    return {
        name.decode("utf-8", "replace"): value.decode("utf-8", "replace")
        for name, value in raw.items()
    }
