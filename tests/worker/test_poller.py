"""Many pollers racing over the same due jobs move each exactly once; a killed poller loses none.

And the wake-up: a pass reads the earliest due time; an announced one rings the alarm then.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from jobs import moves
from jobs.client import schedule_payloads
from jobs.moves import retry_commands
from jobs.redis.connection import make_client
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.worker.hints import HintsListener, due_time, moved_news
from jobs.worker.poller import Poller
from jobs.worker.wakeup import WakeUp
from tests.helpers import ROOT, PrivateRedis, wait_for

N = 20_000


def schedule_due(client: redis.Redis, count: int) -> None:
    pipe = client.pipeline(transaction=False)
    for start in range(0, count, 1000):
        members = {
            json.dumps(
                {"class": "X", "args": [i], "jid": f"{i:024x}", "queue": "default"}
            ): time.time() - 10
            for i in range(start, min(start + 1000, count))
        }
        pipe.zadd("schedule", members)
    pipe.execute()


def queued_jids(client: redis.Redis) -> Counter[str]:
    return Counter(json.loads(raw)["jid"] for raw in client.lrange("queue:default", 0, -1))


def test_eight_pollers_move_each_due_job_exactly_once(
    redis_client: redis.Redis, redis_url: str
) -> None:
    schedule_due(redis_client, N)
    stop = threading.Event()
    pollers = [
        Poller(redis.Redis.from_url(redis_url), Clock(), RedisHealth("test"), 1.0, stop)
        for _ in range(8)
    ]
    moved: list[int] = []
    threads = [threading.Thread(target=lambda p=p: moved.append(p.poll_once())) for p in pollers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    counts = queued_jids(redis_client)
    assert sum(moved) == N
    assert len(counts) == N
    assert max(counts.values()) == 1
    assert redis_client.zcard("schedule") == 0
    assert sum(1 for m in moved if m) > 1, "the pollers did not actually race"


READY = "race:ready"  # poll_forever adds its pid here before its first poll


def test_killing_pollers_mid_run_loses_nothing(redis_client: redis.Redis, redis_url: str) -> None:
    schedule_due(redis_client, N)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }
    kills = 0
    while redis_client.zcard("schedule") and kills < 6:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.poll_forever"], env=env, cwd=ROOT
        )
        wait_for(lambda p=process: redis_client.sismember(READY, str(p.pid)), 30, what="a poller")
        before = redis_client.zcard("schedule")
        wait_for(
            lambda b=before: redis_client.zcard("schedule") < b,
            10,
            interval=0.001,
            what="the poller to move jobs",
        )
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        kills += 1
    assert kills >= 1
    left = {json.loads(m)["jid"] for m in redis_client.zrange("schedule", 0, -1)}
    counts = queued_jids(redis_client)
    assert max(counts.values()) == 1
    assert len(counts) + len(left) == N
    assert not set(counts) & left


def test_the_head_read_tells_the_poller_when_to_wake(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    """One pass reads the earliest due time of both sets; the alarm rings then, not later."""
    clock = Clock()
    poller = Poller(app_redis, clock, RedisHealth("test"), 5.0, threading.Event())
    redis_client.zadd("schedule", {"later": clock.now() + 3600})
    due = clock.now() + 0.3
    redis_client.zadd("retry", {"soon": due})
    assert poller.poll_once() == 0
    assert poller.earliest == due
    poller.wakeup.plan(poller.earliest)
    assert not poller.wakeup.wait(10)
    assert due - 0.01 < clock.now() < due + 0.2


def woken_at(wakeup: WakeUp, clock: Clock) -> float:
    assert not wakeup.wait(10)
    return clock.now()


def test_news_of_a_move_puts_the_alarm_back_to_the_next_due_time() -> None:
    """Another process moved what this poller planned for: it sleeps on to the next one."""
    clock = Clock()
    wakeup = WakeUp(clock, threading.Event())
    now = clock.now()
    wakeup.plan(now + 0.1)
    wakeup.tell(now + 0.15)  # moved too, as its time is not after `through`
    wakeup.tell(now + 0.5)  # added after the mover's read: kept
    wakeup.moved(now + 0.2, now + 0.4)
    assert now + 0.39 < woken_at(wakeup, clock) < now + 0.5
    wakeup.forget()
    wakeup.tell(-float("inf"))  # "look now" is never dropped
    wakeup.moved(now + 10, None)
    assert woken_at(wakeup, clock) < now + 0.5


def test_an_announced_due_time_wakes_the_poller_then(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    """The scheduled enqueue's PUBLISH reaches the listener, whose alarm rings at that time."""
    stop = threading.Event()
    clock = Clock()
    wakeup = WakeUp(clock, stop)
    listener = HintsListener(app_redis, wakeup, RedisHealth("test"), stop)
    listener.start()
    try:
        wait_for(lambda: listener.listening, 10, what="the subscription")
        wakeup.forget()  # the "look now" said on subscribing
        at = clock.now() + 0.4
        schedule_payloads(
            [{"class": "X", "args": [], "jid": "a" * 24, "queue": "q"}], at, app_redis
        )
        stopped = wakeup.wait(10)
        woke = clock.now()
    finally:
        stop.set()
    assert not stopped
    assert at - 0.01 < woke < at + 0.2
    assert redis_client.zcard("schedule") == 1


def test_messages_that_are_no_due_time_nor_news_are_ignored() -> None:
    assert due_time(b"1733400000.25") == 1733400000.25
    news = b"moved 3 1733400000.25 1733400001.5"
    assert moved_news(news, 3) == (1733400000.25, 1733400001.5)
    assert moved_news(b"moved 0 1733400000.25 -", 0) == (1733400000.25, None)
    assert moved_news(news, 0) is None  # another database's news
    for junk in (b"", b"nan", b"inf", b"abc", b"1" * 100, None, 5):
        assert due_time(junk) is None
        assert moved_news(junk, 0) is None
    for junk in (b"moved 0", b"moved 0 1 2 3", b"moved 0 nan -", b"moved 0 1 x", b"gone 0 1 2"):
        assert moved_news(junk, 0) is None


def test_without_pub_sub_rights_a_worker_says_so_and_keeps_its_retries_moving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An ACL made before the wake-up: one warning, no PUBLISH in retry writes, polling only."""
    server = PrivateRedis(tmp_path / "redis")
    rights = ["on", ">pw", "~*", "&*", "+@all", "-publish", "-subscribe"]
    server.start("--user", "old-acl", *rights)
    client = make_client(f"redis://old-acl:pw@127.0.0.1:{server.port}/0")
    stop = threading.Event()
    listener = HintsListener(client, WakeUp(Clock(), stop), RedisHealth("test"), stop)
    try:
        listener.start()
        wait_for(lambda: not listener.allowed, 10, what="the listener to find pub/sub refused")
        commands = retry_commands("inprogress", b"raw", "record", 9.0)
        assert [c[0] for c in commands] == ["LREM", "ZADD"]
        assert "Redis refused pub/sub on jobs:scheduled" in caplog.text
    finally:
        stop.set()
        moves.ANNOUNCE["publish"] = True
        client.close()
        server.stop()
