"""Poller race: many pollers, tens of thousands of due jobs, pollers SIGKILLed at random.

Jobs in `schedule` and `retry` fall due over several seconds while poller
processes (the worker's real Poller) race to move them and a supervisor kills one
at random and starts another. Every job must reach its queue exactly once.
Published figures: jobs, pollers, kills, duplicates (must be 0), missed (must be 0),
lag from due time to enqueue p50/p99.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import redis

from jobs.redis import keys
from tests.helpers import ROOT, wait_for
from tests.reliability.conftest import Profile
from tests.reliability.ledger import percentile
from tests.reliability.report import Reporter

pytestmark = pytest.mark.slow

KILL_EVERY = 0.7


def schedule(client: redis.Redis, count: int, spread: float) -> dict[str, float]:
    """Put `count` jobs in schedule and retry, due from 2 s ago to `spread` s from now."""
    now = time.time()
    due: dict[str, float] = {}
    pipe = client.pipeline(transaction=False)
    for start in range(0, count, 1000):
        members: dict[str, dict[str, float]] = {keys.SCHEDULE: {}, keys.RETRY: {}}
        for i in range(start, min(start + 1000, count)):
            jid = f"race{i:020d}"
            payload = {"class": "RaceJob", "args": [i], "jid": jid, "queue": "default"}
            zset = keys.RETRY if i % 2 else keys.SCHEDULE
            due[jid] = now - 2 + random.random() * (spread + 2)
            members[zset][json.dumps(payload)] = due[jid]
        for zset, batch in members.items():
            pipe.zadd(zset, batch)
    pipe.execute()
    return due


@pytest.fixture
def pollers(redis_url: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def start_poller(redis_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.poll_forever"], cwd=ROOT, env=env
    )


@pytest.mark.timeout(900)
def test_racing_pollers_move_every_due_job_exactly_once(
    redis_client: redis.Redis,
    redis_url: str,
    pollers: list[subprocess.Popen[bytes]],
    profile: Profile,
    figures: Reporter,
) -> None:
    count = profile.pick(20_000, 60_000)
    size = profile.pick(4, 8)
    rng = random.Random()
    due = schedule(redis_client, count, profile.pick(6.0, 20.0))
    last_due = max(due.values())
    live = [start_poller(redis_url) for _ in range(size)]
    pollers += live
    wait_for(lambda: redis_client.scard("race:ready") == size, 60, what="every poller ready")
    racing_since = time.time()

    kills = 0
    deadline = time.monotonic() + profile.pick(120, 600)
    while time.time() < last_due or redis_client.zcard(keys.SCHEDULE) + redis_client.zcard(
        keys.RETRY
    ):
        assert time.monotonic() < deadline, "due jobs were left in the sets"
        time.sleep(KILL_EVERY)
        victim = rng.choice(live)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        live.remove(victim)
        kills += 1
        replacement = start_poller(redis_url)
        live.append(replacement)
        pollers.append(replacement)

    queued = [json.loads(raw) for raw in redis_client.lrange(keys.queue("default"), 0, -1)]
    counts = Counter(p["jid"] for p in queued)
    # Lag of the jobs that fell due while the pollers raced (the others waited for them).
    lags = [
        (float(p["enqueued_at"]) - due[p["jid"]]) * 1000
        for p in queued
        if due[p["jid"]] > racing_since
    ]
    duplicates = sum(n - 1 for n in counts.values())
    missed = count - len(counts)
    figures(
        "poller race",
        jobs=count,
        pollers=size,
        kills=kills,
        duplicates=duplicates,
        missed=missed,
        dead=int(redis_client.zcard(keys.DEAD)),
        lag_p50_ms=percentile(lags, 0.5),
        lag_p99_ms=percentile(lags, 0.99),
    )
    assert kills > 0
    assert duplicates == 0
    assert missed == 0
    assert redis_client.zcard(keys.DEAD) == 0
