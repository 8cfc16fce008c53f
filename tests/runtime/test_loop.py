"""The Redis-resilient loop (jobs/runtime/loop.py) against a real Redis, with a clock of its own.

The loop's only clock is how long it waits on its stop flag: the tests pass a flag
that records each wait and moves a test clock on by it, so a minute of outage
takes no time at all. "Unreachable" is a real client aimed at a closed port.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from jobs.runtime.health import BACKOFF_CAP, Backoff, RedisHealth
from jobs.runtime.loop import redis_loop
from tests.helpers import free_port


class FakeTime:
    """A stop flag and a monotonic clock in one: each wait moves the clock on by its timeout."""

    def __init__(self, stop_after: int) -> None:
        self.now = 1000.0
        self.waits: list[float | None] = []
        self.stop_after = stop_after

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        self.now += timeout or 0.0
        return len(self.waits) > self.stop_after

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def unreachable() -> Iterator[redis.Redis]:
    # No retries inside the client: the loop's own backoff is what is under test.
    client = redis.Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    yield client
    client.close()


def test_an_outage_is_waited_out_with_backoff_and_logged_once(
    unreachable: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    time = FakeTime(stop_after=10)
    health = RedisHealth("redis://nowhere", time.monotonic)
    calls = 0

    def step() -> float:
        nonlocal calls
        calls += 1
        unreachable.ping()
        return 1.0

    with caplog.at_level(logging.WARNING, logger="jobs.worker"):
        done = redis_loop(step, where="poller", health=health, stopping=time)

    assert done is False
    assert calls == 10
    assert time.waits == [0.0, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2] + [BACKOFF_CAP] * 4
    assert health.down
    [line] = caplog.messages
    assert line.startswith("Redis at redis://nowhere is unreachable (ConnectionError in poller:")


def test_the_first_success_resets_the_backoff_and_says_redis_is_back(
    unreachable: redis.Redis, redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    time = FakeTime(stop_after=6)
    health = RedisHealth("redis://here", time.monotonic)
    clients = [unreachable, unreachable, unreachable, redis_client, unreachable, redis_client]

    def step() -> float:
        clients.pop(0).ping()
        return 7.0

    with caplog.at_level(logging.WARNING, logger="jobs.worker"):
        redis_loop(step, where="heartbeat", health=health, stopping=time)

    # Down for 0.1 + 0.2 + 0.4 s; up; down again, and the backoff starts over at 0.1 s.
    assert time.waits == [0.0, 0.1, 0.2, 0.4, 7.0, 0.1, 7.0]
    assert not health.down
    assert [m.split(" (")[0] for m in caplog.messages] == [
        "Redis at redis://here is unreachable",
        "Redis at redis://here is reachable again after 0.7 s",
        "Redis at redis://here is unreachable",
        "Redis at redis://here is reachable again after 0.1 s",
    ]


def test_a_step_that_returns_none_is_done(
    unreachable: redis.Redis, redis_client: redis.Redis
) -> None:
    time = FakeTime(stop_after=100)
    health = RedisHealth("r", time.monotonic)
    clients = [unreachable, redis_client]

    def start_up() -> None:
        clients.pop(0).ping()

    assert redis_loop(start_up, where="startup", health=health, stopping=time) is True
    assert time.waits == [0.0, 0.1]
    assert clients == []


def test_a_stopped_loop_runs_no_step_and_first_wait_comes_first() -> None:
    stopped = FakeTime(stop_after=0)
    ran: list[int] = []
    health = RedisHealth("r")
    assert redis_loop(lambda: ran.append(1), where="x", health=health, stopping=stopped) is False
    assert ran == []

    time = FakeTime(stop_after=2)
    redis_loop(lambda: 2.5, where="x", health=health, stopping=time, first_wait=0.3)
    assert time.waits == [0.3, 2.5, 2.5]


def test_a_bug_ends_the_loop_unless_the_caller_logs_it() -> None:
    time = FakeTime(stop_after=3)
    health = RedisHealth("r", time.monotonic)

    def broken() -> float:
        raise ValueError("a bug in the step")

    with pytest.raises(ValueError, match="a bug in the step"):
        redis_loop(broken, where="x", health=health, stopping=time)
    assert time.waits == [0.0]

    seen: list[Exception] = []
    time = FakeTime(stop_after=3)
    redis_loop(broken, where="x", health=health, stopping=time, on_bug=seen.append)
    assert [str(exc) for exc in seen] == ["a bug in the step"] * 3
    assert time.waits == [0.0, 0.1, 0.2, 0.4]
    assert not health.down  # a bug is not an outage


def test_a_shared_backoff_is_one_schedule_for_every_loop_using_it(
    unreachable: redis.Redis,
) -> None:
    backoff = Backoff()
    health = RedisHealth("r")
    first, second = FakeTime(stop_after=2), FakeTime(stop_after=2)

    def step() -> None:
        unreachable.ping()

    for time in (first, second):
        redis_loop(step, where="x", health=health, stopping=time, backoff=backoff)
    assert first.waits == [0.0, 0.1, 0.2]
    assert second.waits == [0.0, 0.4, 0.8]


def test_backoff_doubles_up_to_its_cap_and_starts_over_on_reset() -> None:
    backoff = Backoff()
    assert [backoff.next() for _ in range(8)] == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    backoff.reset()
    assert backoff.next() == 0.1
    steady = Backoff(2.0, 2.0)
    assert [steady.next() for _ in range(3)] == [2.0, 2.0, 2.0]
