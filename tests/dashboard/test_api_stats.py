"""Overview numbers, daily history and Redis info."""

from __future__ import annotations

import time
from datetime import date

import redis

from jobs.api import history, overview, redis_info
from tests.dashboard.seed import add, failed, job, process, push


def test_overview_counts_everything(r: redis.Redis, app_redis: redis.Redis) -> None:
    r.set("stat:processed", 120)
    r.set("stat:failed", "garbage")
    push(r, "default", job())
    push(r, "mailers", job())
    add(r, "schedule", job(), time.time() + 60)
    add(r, "retry", failed())
    add(r, "retry", failed())
    add(r, "dead", failed())
    process(r, "a:1:aaaaaaaaaaaa", busy=3)
    process(r, "b:1:aaaaaaaaaaaa", busy=1)
    numbers = overview(app_redis)
    assert numbers.as_dict() == {
        "processed": 120, "failed": 0, "busy": 4, "enqueued": 2,
        "scheduled": 1, "retries": 2, "dead": 1, "processes": 2,
    }  # fmt: skip


def test_history_reads_daily_keys_oldest_first(r: redis.Redis, app_redis: redis.Redis) -> None:
    r.set("stat:processed:2026-11-22", 10)
    r.set("stat:failed:2026-11-22", 2)
    r.set("stat:processed:2026-11-20", 5)
    past = history(app_redis, 3, date(2026, 11, 22))
    assert past.dates == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert past.processed == [5, 0, 10]
    assert past.failed == [0, 0, 2]


def test_redis_info(app_redis: redis.Redis) -> None:
    info = redis_info(app_redis)
    assert info["version"].split(".")[0].isdigit()
    assert {"used_memory", "connected_clients", "uptime_seconds"} <= set(info)
