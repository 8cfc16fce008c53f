"""Run `manage.py runworker` for the mail tests, and read what the workers did."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import redis

from tests.helpers import Worker

ROOT = Path(__file__).resolve().parents[2]


def mail_worker(
    redis_url: str, log_path: Path, env: dict[str, str], queues: tuple[str, ...]
) -> Worker:
    """A worker process on `queues` (2 threads), with tests.mail.settings and its log in a file."""
    args = ["-c", "2"]
    for queue in queues:
        args += ["-q", queue]
    return Worker(redis_url, log_path, args, env, settings="tests.mail.settings")


def processed(client: redis.Redis) -> int:
    """Jobs the workers have finished (flushed with their heartbeat)."""
    return int(client.get("stat:processed") or 0)


def make_retries_due(client: redis.Redis) -> int:
    """Give every job in the retry set a score of now, as "retry now" does; return how many."""
    members = client.zrange("retry", 0, -1)
    if members:
        client.zadd("retry", dict.fromkeys(members, time.time() - 1), xx=True)
    return len(members)


MailWorker = Worker
StartWorker = Callable[..., Worker]


def jobs_left(client: redis.Redis) -> int:
    """Jobs still queued, scheduled, retrying or running: 0 means no mail can still go out."""
    lists = [b"queue:" + name for name in client.smembers("queues")]
    lists += list(client.scan_iter("jobs:inprogress:*"))
    waiting = sum(client.llen(key) for key in lists)
    return waiting + client.zcard("schedule") + client.zcard("retry")
