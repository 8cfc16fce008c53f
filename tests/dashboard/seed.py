"""Put jobs, processes and stats into Redis exactly as Sidekiq (or our worker) writes them."""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from jobs.payload import new_jid

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def job(**fields: Any) -> dict[str, Any]:
    """A Sidekiq job payload; `fields` override or add keys."""
    now = time.time()
    payload: dict[str, Any] = {
        "class": "myapp.jobs.MoodSenderJob",
        "args": ["a@example.com", "happy"],
        "jid": new_jid(),
        "queue": "default",
        "retry": True,
        "created_at": now,
        "enqueued_at": now,
    }
    payload.update(fields)
    return payload


def failed(**fields: Any) -> dict[str, Any]:
    """A payload as the worker stores it in `retry` or `dead` after a failure."""
    now = time.time()
    return job(
        **{
            "error_class": "ValueError",
            "error_message": "boom",
            "failed_at": now,
            "retry_count": 0,
            **fields,
        }
    )


def add(
    client: redis.Redis, key: str, payload: dict[str, Any] | str, score: float | None = None
) -> str:
    """ZADD a payload (dict or raw string) to a sorted set; return the member."""
    member = payload if isinstance(payload, str) else json.dumps(payload)
    client.zadd(key, {member: time.time() if score is None else score})
    return member


def push(client: redis.Redis, queue: str, payload: dict[str, Any] | str) -> str:
    """SADD queues + LPUSH, as a Sidekiq client does."""
    member = payload if isinstance(payload, str) else json.dumps(payload)
    client.sadd("queues", queue)
    client.lpush(f"queue:{queue}", member)
    return member


def process(
    client: redis.Redis,
    identity: str = "web.1:4242:0123456789ab",
    busy: int = 0,
    running: list[dict[str, Any]] | None = None,
    sidekiq6: bool = False,
    **info: Any,
) -> str:
    """A process heartbeat (processes set + hash) and its running jobs."""
    data = {
        "hostname": identity.split(":", maxsplit=1)[0],
        "started_at": time.time() - 3600,
        "pid": 4242,
        "tag": "app",
        "concurrency": 10,
        "queues": ["default", "mailers"],
        "labels": [],
        "identity": identity,
        "version": "0.1.0",
        **info,
    }
    client.sadd("processes", identity)
    client.hset(
        identity,
        mapping={
            "info": json.dumps(data),
            "busy": busy,
            "beat": time.time(),
            "quiet": "false",
            "rss": 51200,
            "rtt_us": 150,
        },
    )
    work_key = f"{identity}:workers" if sidekiq6 else f"{identity}:work"
    for index, payload in enumerate(running or []):
        entry = {
            "queue": payload["queue"],
            "payload": json.dumps(payload),
            "run_at": int(time.time()),
        }
        client.hset(work_key, f"t{index}", json.dumps(entry))
    return identity
