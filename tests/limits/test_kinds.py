"""The three limiters against real Redis, as the app's least-privilege user."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from jobs.limits import OverLimit, bucket, concurrent, window
from jobs.limits.base import Limiter


def test_concurrent_admits_n_blocks_and_frees_a_lease_on_exit(app_redis: redis.Redis) -> None:
    limiter = concurrent("api", 2, lock_timeout=30, client=app_redis)
    with limiter.within_limit(), limiter.within_limit():
        with pytest.raises(OverLimit) as raised, limiter.within_limit():
            pass
        assert 0 <= raised.value.retry_after <= 0.5
    with limiter.within_limit():  # both leases were given back
        assert app_redis.zcard("jobs:limit:concurrent:api") == 1
    assert app_redis.zcard("jobs:limit:concurrent:api") == 0


def test_a_lease_of_a_dead_holder_expires_after_lock_timeout(app_redis: redis.Redis) -> None:
    limiter = concurrent("dying", 1, lock_timeout=1, client=app_redis)
    limiter.take()  # never given back, as if its worker was killed
    with pytest.raises(OverLimit):
        limiter.take()
    start = time.monotonic()
    limiter.take(wait=3.0)  # waits for the lease to expire
    assert 0.5 < time.monotonic() - start < 3.0


def test_keyed_names_are_separate_limits(app_redis: redis.Redis) -> None:
    one, two = (concurrent(f"user:{uid}", 1, client=app_redis) for uid in (1, 2))
    with one.within_limit(), two.within_limit(), pytest.raises(OverLimit):
        one.take()


def test_window_slides(app_redis: redis.Redis) -> None:
    limiter = window("win", 3, per=1, client=app_redis)
    admitted = []
    hints = []
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        try:
            limiter.take()
            admitted.append(time.monotonic())
        except OverLimit as exc:
            hints.append(exc.retry_after)
            time.sleep(0.01)
    assert hints
    assert all(0 < hint <= 1.001 for hint in hints)
    for index in range(len(admitted) - 3):
        # Any 4 admissions span more than the window (a fixed window lets 6 through
        # around its edge).
        assert admitted[index + 3] - admitted[index] > 0.95
    assert len(admitted) >= 6


def test_bucket_allows_a_burst_then_the_refill_rate(app_redis: redis.Redis) -> None:
    limiter = bucket("tokens", 4, per=1, client=app_redis)
    for _ in range(4):
        limiter.take()
    with pytest.raises(OverLimit) as raised:
        limiter.take()
    assert 0 < raised.value.retry_after <= 0.26
    limiter.take(wait=1.0)  # one token back after ~0.25 s


def test_wait_timeout_waits_for_room_without_failing(app_redis: redis.Redis) -> None:
    limiter = concurrent("short", 1, client=app_redis)
    token = limiter.take()
    threading.Timer(0.2, limiter.give_back, args=(token,)).start()
    with limiter.within_limit(wait_timeout=3):
        pass


def test_counters_say_how_often_it_said_no(app_redis: redis.Redis) -> None:
    limiter = concurrent("counted", 1, client=app_redis)
    with limiter.within_limit():
        for _ in range(3):
            with pytest.raises(OverLimit):
                limiter.take()
    stats = app_redis.hgetall("jobs:limits:stats")
    assert stats[b"counted|yes"] == b"1"
    assert stats[b"counted|no"] == b"3"
    assert app_redis.hget("jobs:limits:meta", "counted") == b"concurrent 1 30"


@pytest.mark.parametrize(
    "make",
    [
        lambda: concurrent("x", 0),
        lambda: concurrent("x", -1),
        lambda: concurrent("x", 2.5),  # type: ignore[arg-type]
        lambda: concurrent("x", True),  # type: ignore[arg-type]
        lambda: concurrent("x", 1, lock_timeout=0),
        lambda: window("x", 1, per=-1),
        lambda: bucket("x", 1, per=float("inf")),
        lambda: window("", 1),
        lambda: window("a\nb", 1),
        lambda: bucket("x" * 201, 1),
    ],
)
def test_bad_definitions_raise_at_once(make: object) -> None:
    with pytest.raises(ValueError, match=r"limiter|lock_timeout|per"):
        make()  # type: ignore[operator]


def test_repr_names_the_limit() -> None:
    limiter: Limiter = window("crm", 100, per=60)
    assert repr(limiter) == "<Window 'crm' window 100 60>"


def test_limiters_unused_for_a_week_are_forgotten(
    app_redis: redis.Redis, redis_client: redis.Redis
) -> None:
    redis_client.zadd("jobs:limits:seen", {"user:gone": 1.0})  # last asked in 1970
    redis_client.hset("jobs:limits:meta", "user:gone", "concurrent 1 30")
    redis_client.hset("jobs:limits:stats", mapping={"user:gone|yes": 3, "user:gone|no": 1})
    concurrent("user:here", 1, client=app_redis).take()  # as the app's user
    assert redis_client.zrange("jobs:limits:seen", 0, -1) == [b"user:here"]
    assert redis_client.hkeys("jobs:limits:meta") == [b"user:here"]
    assert redis_client.hkeys("jobs:limits:stats") == [b"user:here|yes"]
