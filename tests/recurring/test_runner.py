"""The scheduler thread against a real Redis: which ticks are claimed, exactly once."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from jobs.recurring import store
from jobs.recurring.runner import LATE_LIMIT, RecurringRunner, start_recurring, ticks_to_claim
from jobs.recurring.schedule import Entry, parse_entry
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from tests.helpers import PrivateRedis, free_port, wait_for
from tests.recurring.conftest import TICK, FakeClock, pushed_ticks

T0 = 1_800_000_000  # a multiple of 10 s and of 60 s


def every(spec: str, **options: Any) -> Entry:
    return parse_entry("e", {"every": spec, "class": TICK, "args": ["x"], **options}, "UTC")


def runner_for(
    client: redis.Redis, entry: Entry, started: float, clock: Clock | None = None
) -> RecurringRunner:
    clock = clock or FakeClock(started)
    return RecurringRunner(client, clock, RedisHealth("test"), threading.Event(), [entry])


def test_a_new_entry_claims_nothing_until_its_first_tick(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    runner = runner_for(app_redis, every("10s"), T0 + 3)

    assert runner.run_due(T0 + 3) == T0 + 10
    assert pushed_ticks(redis_client) == []
    assert runner.run_due(T0 + 10.001) == T0 + 20
    assert pushed_ticks(redis_client) == [T0 + 10]


def test_runners_racing_in_any_order_enqueue_each_tick_once(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    entry = every("1s")
    runners = [runner_for(app_redis, entry, T0 - 0.5) for _ in range(5)]
    for second in range(100):
        random.shuffle(runners)
        for runner in runners:
            runner.run_due(T0 + second + random.random() * 0.9)

    assert pushed_ticks(redis_client) == list(range(T0, T0 + 100))


def test_runner_threads_claiming_at_the_same_instant_enqueue_each_tick_once(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    entry = every("1s")
    runners = [runner_for(app_redis, entry, T0 - 0.5) for _ in range(8)]
    barrier = threading.Barrier(len(runners))
    errors: list[BaseException] = []

    def race(runner: RecurringRunner) -> None:
        try:
            for second in range(50):
                barrier.wait(timeout=10)
                runner.run_due(T0 + second + 0.01)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    ticks = pushed_ticks(redis_client)
    assert max(Counter(ticks).values()) == 1
    assert sorted(ticks, key=int) == list(range(T0, T0 + 50))


def test_after_downtime_only_the_most_recent_missed_tick_runs(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.hset(store.state_key("e"), "tick", T0)
    runner = runner_for(app_redis, every("1s"), T0 + 100.5)

    runner.run_due(T0 + 100.5)
    assert pushed_ticks(redis_client) == [T0 + 100]
    runner.run_due(T0 + 101.01)
    assert pushed_ticks(redis_client) == [T0 + 100, T0 + 101]


def test_catch_up_false_runs_no_missed_tick(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.hset(store.state_key("e"), "tick", T0)
    runner = runner_for(app_redis, every("1s", catch_up=False), T0 + 100.5)

    runner.run_due(T0 + 100.5)
    assert pushed_ticks(redis_client) == []
    runner.run_due(T0 + 101.01)
    assert pushed_ticks(redis_client) == [T0 + 101]


def test_a_late_wake_claims_every_tick_the_runner_slept_through(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    runner = runner_for(app_redis, every("1s", catch_up=False), T0 + 0.5)
    runner.run_due(T0 + 1.01)

    runner.run_due(T0 + 6.5)  # a 5 s pause (a Redis outage, a stalled process)

    assert pushed_ticks(redis_client) == list(range(T0 + 1, T0 + 7))


def test_ticks_older_than_the_late_limit_count_as_missed() -> None:
    entry = every("1s")
    now = T0 + 200.5
    ticks = ticks_to_claim(entry, T0 + 1, T0, now)
    on_time = list(range(int(now - LATE_LIMIT) + 1, T0 + 201))
    assert ticks == [int(now - LATE_LIMIT), *on_time]
    assert ticks_to_claim(every("1s", catch_up=False), T0 + 1, T0, now) == on_time


def test_a_tick_already_claimed_is_not_claimed_again() -> None:
    entry = every("10s")
    assert ticks_to_claim(entry, T0 + 10, T0, T0 + 10.5) == []
    assert ticks_to_claim(entry, None, T0 + 5, T0 + 10.5) == [T0 + 10]
    assert ticks_to_claim(entry, None, T0 + 5, T0 + 9.5) == []


def test_a_disabled_entry_claims_its_ticks_without_pushing_and_resumes_without_a_burst(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    runner = runner_for(app_redis, every("1s"), T0 - 0.5)
    store.set_enabled(app_redis, "e", False)
    for second in range(5):
        runner.run_due(T0 + second + 0.01)
    assert pushed_ticks(redis_client) == []
    assert store.read_states(app_redis, ["e"])["e"].tick == T0 + 4

    store.set_enabled(app_redis, "e", True)
    runner.run_due(T0 + 5.01)
    assert pushed_ticks(redis_client) == [T0 + 5]


def test_the_dashboard_choice_overrides_the_settings(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    runner = runner_for(app_redis, every("1s", enabled=False), T0 - 0.5)
    runner.run_due(T0 + 0.01)
    assert pushed_ticks(redis_client) == []

    store.set_enabled(app_redis, "e", True)
    runner.run_due(T0 + 1.01)
    assert pushed_ticks(redis_client) == [T0 + 1]


def test_the_thread_survives_a_redis_outage_and_resumes(tmp_path: Path) -> None:
    server = PrivateRedis(tmp_path / "redis", free_port())
    client = redis.Redis.from_url(server.url, socket_connect_timeout=0.2, socket_timeout=0.5)
    health = RedisHealth(server.url)
    stopping = threading.Event()
    runner = RecurringRunner(client, Clock(), health, stopping, [every("1s")])
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: health.down, 10, what="the outage to be noticed")
        assert thread.is_alive()
        server.start()
        wait_for(lambda: pushed_ticks(client), 15, what="a tick once Redis is back")
        assert not health.down
        assert thread.is_alive()
    finally:
        stopping.set()
        thread.join(10)
        server.stop()
        client.close()
    assert not thread.is_alive()


def test_start_recurring_runs_valid_entries_and_logs_invalid_ones(
    redis_client: redis.Redis,
    use_schedule: Callable[[dict[str, Any]], None],
    caplog: pytest.LogCaptureFixture,
    app_redis: redis.Redis,
) -> None:
    use_schedule(
        {
            "good": {"every": "1s", "class": TICK, "args": ["x"], "queue": "rec"},
            "bad": {"every": "1s", "class": "nope.Job"},
        }
    )
    stopping = threading.Event()
    with caplog.at_level(logging.INFO, logger="jobs.recurring"):
        thread = start_recurring(app_redis, Clock(), RedisHealth("test"), stopping)
        assert thread is not None
        try:
            wait_for(lambda: pushed_ticks(redis_client, "rec"), 5, what="a tick of 'good'")
        finally:
            stopping.set()
            thread.join(5)
    assert not thread.is_alive()
    assert thread.daemon
    assert "recurring entry 'bad'" in caplog.text
    assert "recurring: 1 entry (good)" in caplog.text


def test_start_recurring_without_a_valid_entry_starts_nothing(
    app_redis: redis.Redis, use_schedule: Callable[[dict[str, Any]], None]
) -> None:
    use_schedule({"bad": {"every": "1s", "class": "nope.Job"}})
    assert start_recurring(app_redis, Clock(), RedisHealth("t"), threading.Event()) is None


def test_an_entry_that_fails_leaves_the_others_running(
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    app_redis: redis.Redis,
) -> None:
    good = every("1s", queue="good")
    bad = parse_entry("bad", {"every": "1s", "class": TICK, "args": ["x"]}, "UTC")

    def broken(t: float) -> int:
        raise ValueError("broken schedule")

    monkeypatch.setattr(bad.times, "next_after", broken)
    runner = RecurringRunner(
        app_redis, FakeClock(T0 - 0.5), RedisHealth("t"), threading.Event(), [bad, good]
    )
    assert runner.run_due(T0 + 0.01) == T0 + 1
    assert pushed_ticks(redis_client, "good") == [T0]
    assert runner.due_at["bad"] == T0 + 0.01 + 60
    assert "recurring bad: failed" in caplog.text


def test_a_quiet_worker_enqueues_no_more_ticks(
    redis_client: redis.Redis, app_redis: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    quiet = threading.Event()
    clock = FakeClock(T0 - 0.5)
    runner = RecurringRunner(
        app_redis, clock, RedisHealth("t"), threading.Event(), [every("1s")], quiet.is_set
    )
    clock.at = T0 + 0.01
    assert runner.step() is not None
    assert pushed_ticks(redis_client) == [T0]

    quiet.set()
    clock.at = T0 + 1.01
    with caplog.at_level(logging.INFO, "jobs.recurring"):
        assert runner.step() is None  # the thread's loop ends

    assert pushed_ticks(redis_client) == [T0]
    assert "quiet, so this worker enqueues no more ticks" in caplog.text
