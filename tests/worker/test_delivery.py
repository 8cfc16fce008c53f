"""Real worker processes: every job runs exactly once, scheduled and bulk jobs, queue order."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import redis

from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.testapp.jobs import RecordJob


def runs(client: redis.Redis) -> list[str]:
    return [jid.decode() for jid in client.lrange("ledger:runs", 0, -1)]


@pytest.mark.parametrize(
    "queues",
    [["-q", "default"], ["-q", "critical", "-q", "default"]],
    ids=["one queue (threads wait in BLMOVE)", "two queues (blocker threads)"],
)
def test_1000_jobs_through_two_workers_run_exactly_once(
    redis_client: redis.Redis, start_worker: WorkerFactory, queues: list[str]
) -> None:
    jids = RecordJob.perform_bulk([[i] for i in range(500)])
    jids += [RecordJob.perform_async(i) for i in range(500, 1000)]
    workers = [start_worker("-c", "5", *queues), start_worker("-c", "5", *queues)]
    wait_for(lambda: redis_client.llen("ledger:runs") >= 1000, 60, what="1,000 runs")
    for worker in workers:
        assert worker.stop() == 0
    counts = Counter(runs(redis_client))
    assert set(counts) == set(jids)
    assert max(counts.values()) == 1
    assert redis_client.llen("queue:default") == 0
    assert not [k for k in redis_client.scan_iter("jobs:inprogress:*")]
    assert int(redis_client.get("stat:processed") or 0) == 1000
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert int(redis_client.get(f"stat:processed:{today}") or 0) == 1000


def test_perform_in_runs_when_due(redis_client: redis.Redis, start_worker: WorkerFactory) -> None:
    start_worker("-c", "2").wait_ready()
    enqueued = time.time()
    jid = RecordJob.perform_in(1.5, "later")
    now_jid = RecordJob.perform_async("now")
    wait_for(lambda: now_jid in runs(redis_client), 10, what="the immediate job")
    assert jid not in runs(redis_client)
    wait_for(lambda: jid in runs(redis_client), 15, what="the scheduled job")
    assert time.time() - enqueued >= 1.5
    assert redis_client.zcard("schedule") == 0


def test_strict_order_drains_first_queue_first(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    RecordJob.set(queue="low").perform_bulk([["low"]] * 30)
    RecordJob.set(queue="critical").perform_bulk([["critical"]] * 30)
    start_worker("-c", "1", "-q", "critical", "-q", "low")
    wait_for(lambda: redis_client.llen("ledger:args") >= 60, 30, what="60 runs")
    order = [arg.decode() for arg in redis_client.lrange("ledger:args", 0, -1)]
    assert order == ["critical"] * 30 + ["low"] * 30


def test_weighted_order_follows_weights(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    RecordJob.set(queue="heavy").perform_bulk([["heavy"]] * 1200)
    RecordJob.set(queue="light").perform_bulk([["light"]] * 1200)
    start_worker("-c", "1", "-q", "heavy,3", "-q", "light,1")
    wait_for(lambda: redis_client.llen("ledger:args") >= 800, 30, what="800 runs")
    first = [arg.decode() for arg in redis_client.lrange("ledger:args", 0, 799)]
    share = first.count("heavy") / len(first)
    # P(heavy first) = 3/4 per fetch, and a fetch takes up to PREFETCH (4) jobs from the
    # queue it drew: 800 runs are at least 200 draws, so the share's standard deviation is
    # at most 0.031 and [0.6, 0.9] lies ~5 of them either side of 0.75.
    assert 0.6 <= share <= 0.9, share
    assert "light" in first  # not starved, unlike strict order


@pytest.mark.parametrize("queues", [["-q", "critical", "-q", "low"], ["-q", "low"]])
def test_job_pushed_to_any_queue_wakes_an_idle_worker(
    redis_client: redis.Redis, start_worker: WorkerFactory, queues: list[str]
) -> None:
    start_worker("-c", "2", *queues).wait_ready()
    time.sleep(0.3)  # let the fetcher go idle in BLMOVE on every queue
    for queue in queues[1::2]:
        started = time.monotonic()
        jid = RecordJob.set(queue=queue).perform_async(queue)
        wait_for(
            lambda jid=jid: jid in runs(redis_client), 5, interval=0.001, what=f"job on {queue}"
        )
        assert time.monotonic() - started < 1.0
