"""Enqueue N jobs of one peer from this one process; print one JSON line.

usage: python enqueue.py SYSTEM MODE N      (cwd = bench/peers, in the peer's venv)
  SYSTEM  rq | dramatiq | celery | huey | arq
  MODE    single   the system's normal one-at-a-time call, timed around the loop
          bulk     its bulk call (rq enqueue_many, celery group; arq: gather of 100)
          latency  N latency jobs one at a time, 5 ms apart (argument: enqueue time, us)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from common import URL, now_us

GAP = 0.005


def timed(loop: Callable[[], Any]) -> float:
    started = time.perf_counter()
    loop()
    return time.perf_counter() - started


def run_rq(mode: str, n: int) -> float | None:
    import redis
    import tasks_rq
    from rq import Queue

    queue = Queue("default", connection=redis.Redis.from_url(URL))
    if mode == "single":
        return timed(lambda: [queue.enqueue(tasks_rq.job, i) for i in range(n)])
    if mode == "bulk":
        return timed(
            lambda: queue.enqueue_many(
                [Queue.prepare_data(tasks_rq.job, args=(i,)) for i in range(n)]
            )
        )
    for _ in range(n):
        queue.enqueue(tasks_rq.lat, now_us())
        time.sleep(GAP)
    return None


def run_dramatiq(mode: str, n: int) -> float | None:
    import tasks_dramatiq

    if mode == "single":
        return timed(lambda: [tasks_dramatiq.job.send(i) for i in range(n)])
    if mode == "bulk":
        return None  # no bulk enqueue API
    for _ in range(n):
        tasks_dramatiq.lat.send(now_us())
        time.sleep(GAP)
    return None


def run_celery(mode: str, n: int) -> float | None:
    import celery
    import tasks_celery

    if mode == "single":
        return timed(lambda: [tasks_celery.job.delay(i) for i in range(n)])
    if mode == "bulk":
        return timed(lambda: celery.group(tasks_celery.job.s(i) for i in range(n)).apply_async())
    for _ in range(n):
        tasks_celery.lat.delay(now_us())
        time.sleep(GAP)
    return None


def run_huey(mode: str, n: int) -> float | None:
    import tasks_huey

    if mode == "single":
        return timed(lambda: [tasks_huey.job(i) for i in range(n)])
    if mode == "bulk":
        return None  # no bulk enqueue API
    for _ in range(n):
        tasks_huey.lat(now_us())
        time.sleep(GAP)
    return None


def run_arq(mode: str, n: int) -> float | None:
    import tasks_arq
    from arq import create_pool

    async def main() -> float | None:
        pool = await create_pool(tasks_arq.WorkerSettings.redis_settings)
        try:
            started = time.perf_counter()
            if mode == "single":
                for i in range(n):
                    await pool.enqueue_job("job", i)
                return time.perf_counter() - started
            if mode == "bulk":
                for start in range(0, n, 100):
                    batch = range(start, min(n, start + 100))
                    await asyncio.gather(*(pool.enqueue_job("job", i) for i in batch))
                return time.perf_counter() - started
            for _ in range(n):
                await pool.enqueue_job("lat", now_us())
                await asyncio.sleep(GAP)
            return None
        finally:
            await pool.aclose()

    return asyncio.run(main())


RUNNERS: dict[str, Callable[[str, int], float | None]] = {
    "rq": run_rq,
    "dramatiq": run_dramatiq,
    "celery": run_celery,
    "huey": run_huey,
    "arq": run_arq,
}

if __name__ == "__main__":
    system, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seconds = RUNNERS[system](mode, count)
    out: dict[str, Any] = {"system": system, "mode": mode, "n": count}
    if seconds is not None:
        out.update(seconds=seconds, rate=count / seconds)
    print(json.dumps(out))
