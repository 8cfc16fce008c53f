"""Run `manage.py runworker` for the mail tests, and wait for conditions with a deadline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import redis

from tests import helpers

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    """tests.helpers.wait_for, with the description first as these tests read best."""
    return helpers.wait_for(condition, timeout, 0.05, what)


class MailWorker:
    """A worker process on the mailers queue, with tests.mail.settings and its log in a file."""

    def __init__(
        self, redis_url: str, log_path: Path, env: dict[str, str], queues: tuple[str, ...]
    ) -> None:
        self.redis_url = redis_url
        self.log_path = log_path
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.mail.settings",
            "REDIS_URL": redis_url,
            **env,
        }
        command = [sys.executable, "manage.py", "runworker", "-c", "2"]
        for queue in queues:
            command += ["-q", queue]
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
        self.pid = self.process.pid

    def wait_ready(self) -> None:
        """Wait for the first heartbeat: the worker is fetching from now on."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            wait_for(lambda: self._alive() and client.scard("processes"), "the worker to start")
        finally:
            client.close()

    def _alive(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log()}")
        return True

    def stop(self) -> int:
        """SIGTERM and wait: the worker finishes or returns its jobs, then exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def payloads(client: redis.Redis, key: str) -> list[dict[str, Any]]:
    """The jobs in a sorted set (schedule, retry, dead) or a queue list, decoded."""
    is_zset = client.type(key) == b"zset"
    raw = client.zrange(key, 0, -1) if is_zset else client.lrange(key, 0, -1)
    return [json.loads(item) for item in raw]


def processed(client: redis.Redis) -> int:
    """Jobs the workers have finished (flushed with their heartbeat)."""
    return int(client.get("stat:processed") or 0)


def make_retries_due(client: redis.Redis) -> int:
    """Give every job in the retry set a score of now, as "retry now" does; return how many."""
    members = client.zrange("retry", 0, -1)
    if members:
        client.zadd("retry", dict.fromkeys(members, time.time() - 1), xx=True)
    return len(members)


StartWorker = Callable[..., MailWorker]


def jobs_left(client: redis.Redis) -> int:
    """Jobs still queued, scheduled, retrying or running: 0 means no mail can still go out."""
    lists = [b"queue:" + name for name in client.smembers("queues")]
    lists += list(client.scan_iter("jobs:inprogress:*"))
    waiting = sum(client.llen(key) for key in lists)
    return waiting + client.zcard("schedule") + client.zcard("retry")
