"""The job bodies every system runs, ours included (bench/djangoapp/jobs.py imports this).

A throughput job takes one small int and only does bookkeeping in Redis, one redis-py
client per process: INCR a counter; the first job also stores its wall-clock start,
and the job that brings the counter to BENCH_N stores its wall-clock end and pushes a
marker the driver BLPOPs on. A latency job takes its enqueue time (int microseconds
since the epoch) and RPUSHes start - enqueue in microseconds.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DONE, FIRST, LAST, FINISH, LAT = (
    "bench:done",
    "bench:first",
    "bench:last",
    "bench:finish",
    "bench:lat",
)
N = int(os.environ.get("BENCH_N", "10000"))

# redis-py pools make new connections after a fork (pid check): safe for prefork workers.
R = redis.Redis.from_url(URL)


def now_us() -> int:
    return time.time_ns() // 1000


def mark_done() -> None:
    n = R.incr(DONE)
    if n == 1:
        R.set(FIRST, repr(time.time()))
    if n == N:
        R.set(LAST, repr(time.time()))
        R.rpush(FINISH, 1)


def mark_lat(ts_us: int) -> None:
    R.rpush(LAT, now_us() - int(ts_us))


async def amark_done(r: Any) -> None:
    n = await r.incr(DONE)
    if n == 1:
        await r.set(FIRST, repr(time.time()))
    if n == N:
        await r.set(LAST, repr(time.time()))
        await r.rpush(FINISH, 1)


async def amark_lat(r: Any, ts_us: int) -> None:
    await r.rpush(LAT, now_us() - int(ts_us))
