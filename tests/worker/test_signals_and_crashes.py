"""Real worker processes killed, stopped and quieted: no job is lost."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter

import pytest
import redis

from tests.conftest import WorkerFactory
from tests.helpers import payloads, wait_for
from tests.testapp.jobs import RecordJob, SlowJob


def listed(client: redis.Redis, key: str) -> list[str]:
    return [item.decode() for item in client.lrange(key, 0, -1)]


def test_kill_9_mid_jobs_every_job_runs_again_elsewhere(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    victim = start_worker("-c", "4")
    victim.wait_ready()
    jids = [SlowJob.perform_async(30) for _ in range(4)]
    wait_for(lambda: len(listed(redis_client, "ledger:started")) == 4, 15, what="4 jobs running")
    victim.kill()
    assert set(listed(redis_client, "ledger:started")) == set(jids)
    [orphan] = [k for k in redis_client.scan_iter("jobs:inprogress:*")]
    assert redis_client.llen(orphan) == 4
    # Rescue with short jobs: the recovered payloads keep their args, so shorten them first.
    for raw in redis_client.lrange(orphan, 0, -1):
        redis_client.lset(
            orphan, redis_client.lpos(orphan, raw), raw.replace(b'"args":[30]', b'"args":[0.01]')
        )
    rescuer = start_worker("-c", "4")
    rescuer.wait_ready()
    wait_for(
        lambda: len(listed(redis_client, "ledger:finished")) == 4,
        30,
        what="recovered jobs to finish",
    )
    assert Counter(listed(redis_client, "ledger:finished")) == Counter(jids)
    assert not redis_client.exists(orphan)
    assert rescuer.stop() == 0


QUEUE_SETUPS = pytest.mark.parametrize(
    "queues", [[], ["-q", "default"]], ids=["several queues", "one queue"]
)


@QUEUE_SETUPS
def test_term_waits_then_pushes_unfinished_jobs_back(
    redis_client: redis.Redis, start_worker: WorkerFactory, queues: list[str]
) -> None:
    worker = start_worker("-c", "2", "--timeout", "2", *queues)
    worker.wait_ready()
    quick = SlowJob.perform_async(0.5)
    stuck = SlowJob.perform_async(60)
    wait_for(lambda: len(listed(redis_client, "ledger:started")) == 2, 15, what="2 jobs running")
    started = time.monotonic()
    worker.signal(signal.SIGTERM)
    assert worker.process.wait(20) == 0
    elapsed = time.monotonic() - started
    assert elapsed < 2 + 5
    assert listed(redis_client, "ledger:finished") == [quick]
    assert [p["jid"] for p in payloads(redis_client, "queue:default")] == [stuck]
    assert "recoveries" not in payloads(redis_client, "queue:default")[0]
    assert not [k for k in redis_client.scan_iter("jobs:inprogress:*")]
    assert redis_client.scard("processes") == 0
    assert "1 unfinished job(s) pushed back" in worker.log()


def test_second_term_exits_at_once_and_jobs_stay_recoverable(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "2", "--timeout", "30")
    worker.wait_ready()
    jid = SlowJob.perform_async(60)
    wait_for(lambda: listed(redis_client, "ledger:started") == [jid], 15, what="the job to start")
    worker.signal(signal.SIGTERM)
    wait_for(lambda: "stopping" in worker.log(), 10, what="the first TERM to be logged")
    started = time.monotonic()
    worker.signal(signal.SIGTERM)
    assert worker.process.wait(10) == 1
    assert time.monotonic() - started < 3
    [orphan] = [k for k in redis_client.scan_iter("jobs:inprogress:*")]
    assert [p["jid"] for p in payloads(redis_client, orphan.decode())] == [jid]


@QUEUE_SETUPS
def test_tstp_quiets_running_jobs_finish_and_nothing_new_starts(
    redis_client: redis.Redis, start_worker: WorkerFactory, queues: list[str]
) -> None:
    worker = start_worker("-c", "2", *queues)
    identity = worker.wait_ready()
    first = SlowJob.perform_async(0.5)
    wait_for(lambda: listed(redis_client, "ledger:started") == [first], 15, what="the first job")
    worker.signal(signal.SIGTSTP)
    wait_for(
        lambda: redis_client.hget(identity, "quiet") == b"true", 10, what="quiet in the heartbeat"
    )
    wait_for(
        lambda: listed(redis_client, "ledger:finished") == [first],
        10,
        what="the running job to finish",
    )
    later = RecordJob.perform_async("after quiet")
    time.sleep(1.5)  # give a non-quiet worker ample time to take it
    assert redis_client.llen("ledger:runs") == 0
    assert [p["jid"] for p in payloads(redis_client, "queue:default")] == [later]
    assert worker.stop() == 0


def test_dashboard_signals_list_quiets_and_stops_a_worker(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "2")
    identity = worker.wait_ready()
    redis_client.lpush(f"{identity}-signals", "TSTP")
    wait_for(lambda: redis_client.hget(identity, "quiet") == b"true", 10, what="remote quiet")
    redis_client.lpush(f"{identity}-signals", "TERM")
    assert worker.process.wait(15) == 0


def test_a_stray_in_a_live_workers_own_list_runs_and_held_jobs_stay(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    """A job in our in-progress list that no thread holds (its fetch reply was lost) runs.

    A slow job running through the whole wait must not be taken for a stray: it is held.
    """
    worker = start_worker("-c", "2")
    identity = worker.wait_ready()
    slow = SlowJob.perform_async(9)
    wait_for(lambda: listed(redis_client, "ledger:started") == [slow], 15, what="the slow job")
    stray = RecordJob.set().build(["stray"], time.time())
    redis_client.lpush(f"jobs:inprogress:{identity}", json.dumps(stray))
    # Put back after two beats plus a backoff (6 s with the test settings), then run.
    wait_for(lambda: listed(redis_client, "ledger:runs"), 20, what="the stray to run")
    assert listed(redis_client, "ledger:runs") == [stray["jid"]]
    assert not listed(redis_client, "ledger:finished"), "the slow job ended first: proved nothing"
    wait_for(lambda: listed(redis_client, "ledger:finished") == [slow], 15, what="the slow job")
    assert listed(redis_client, "ledger:started") == [slow], "a held job was put back"
    assert worker.stop() == 0
    assert "put back 1 job(s)" in worker.log()
    assert not redis_client.exists(f"jobs:inprogress:{identity}")
