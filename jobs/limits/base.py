"""What every limiter shares: the name, the `within_limit()` block, and `OverLimit`."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import redis
from redis.exceptions import NoScriptError

from jobs.payload import number
from jobs.redis import keys
from jobs.redis.connection import get_redis
from jobs.redis.lane import thread_lane
from jobs.redis.scripts import script

MAX_NAME = 200
# The longest a `within_limit(wait_timeout=...)` may keep a worker thread waiting.
MAX_WAIT = 5.0
# How often a waiting block asks again, at most.
WAIT_STEP = 0.05


class OverLimit(Exception):
    """Raised by `within_limit()` when the limit is reached; the worker reschedules the job.

    `retry_after`: seconds after which the limiter expects room again (a hint).
    """

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"limiter {name!r} is over its limit; room again in ~{retry_after:.2f} s")
        self.name = name
        self.retry_after = retry_after


def check_name(name: object) -> str:
    """`name` if it is a usable limiter name (may carry a key: "user:42"); else ValueError."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or not name.isprintable():
        raise ValueError(f"a limiter name is 1-{MAX_NAME} printable characters, not {name!r}")
    return name


def check_count(n: object) -> int:
    """`n` if it is an integer >= 1; else ValueError."""
    if type(n) is not int or n < 1:
        raise ValueError(f"a limiter's n must be an integer >= 1, not {n!r}")
    return n


def check_seconds(what: str, value: object) -> float:
    """`value` as seconds > 0; else ValueError naming `what`."""
    seconds = number(value)
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{what} must be a number of seconds > 0, not {value!r}")
    return seconds


class Limiter:
    """A limit shared by every process using the same Redis; see kinds.py for the three."""

    kind = ""
    script_name = ""

    def __init__(self, name: str, n: int, seconds: float, client: redis.Redis | None) -> None:
        self.name = check_name(name)
        self.n = check_count(n)
        self.seconds = seconds
        self._client = client
        self.key = keys.limit(self.kind, self.name)

    @property
    def client(self) -> redis.Redis:
        return self._client or get_redis()

    def describe(self) -> str:
        """What the Limits page shows of this limiter ("concurrent 5 30")."""
        return f"{self.kind} {self.n} {self.seconds:g}"

    @contextmanager
    def within_limit(self, wait_timeout: float = 0.0) -> Iterator[None]:
        """Run the block within the limit, or raise OverLimit (after up to `wait_timeout` s)."""
        wait = min(max(0.0, float(wait_timeout)), MAX_WAIT)
        token = self.take(wait)
        try:
            yield
        finally:
            self.give_back(token)

    def take(self, wait: float = 0.0) -> str:
        """Take room for one block (its token); OverLimit when there is none within `wait` s."""
        token = secrets.token_hex(8)
        deadline = time.monotonic() + wait
        while True:
            ok, retry_ms = self.ask(token)
            if ok:
                return token
            left = deadline - time.monotonic()
            if left <= 0:
                raise OverLimit(self.name, retry_ms / 1000)
            time.sleep(max(0.001, min(left, retry_ms / 1000, WAIT_STEP)))

    def ask(self, token: str) -> tuple[bool, int]:
        """One atomic try: (taken, milliseconds until room is expected)."""
        limiting = script(self.client, self.script_name)
        stats = (keys.LIMITS_SEEN, keys.LIMITS_META, keys.LIMITS_STATS)
        argv: list[Any] = [self.name, self.describe(), self.n, repr(self.seconds), token]
        command = ("EVALSHA", limiting.sha, 4, self.key, *stats, *argv)
        lane = thread_lane(self.client)
        try:
            [reply] = lane.call([command])
        except NoScriptError:
            lane.load_script(str(limiting.script))
            [reply] = lane.call([command])
        taken, retry_ms = cast(list[int], reply)
        return bool(taken), max(0, int(retry_ms))

    def give_back(self, token: str) -> None:
        """Called when the block ends (a concurrent limiter frees its lease)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.describe()}>"
