"""Shared helpers of the django.tasks tests."""

from __future__ import annotations

import json
from typing import Any

import redis

from jobs.redis import keys


def record(client: redis.Redis, jid: str) -> dict[str, str]:
    """A task's result record as stored, text fields."""
    raw = client.hgetall(keys.task_result(jid))
    return {name.decode(): value.decode() for name, value in raw.items()}


def queued(client: redis.Redis, queue: str = "default") -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in client.lrange(f"queue:{queue}", 0, -1)]


def make_retries_due(client: redis.Redis) -> int:
    """Move every retry's time to now, so the poller hands it back at once."""
    members = client.zrange("retry", 0, -1)
    if members:
        client.zadd("retry", dict.fromkeys(members, 0), xx=True)
    return len(members)
