"""Many pollers racing over the same due jobs move each exactly once; a killed poller loses none."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import redis

from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.worker.poller import Poller
from tests.helpers import ROOT, wait_for

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
