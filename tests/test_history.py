"""jobs/history.py, jobs/api/past.py and jobs/api/find.py against real Redis and real workers."""

from __future__ import annotations

import json
import time

import pytest
import redis

from jobs import history
from jobs.api import find
from jobs.api.past import read as read_past
from jobs.backtrace import HEADING, decode
from jobs.redis import keys
from tests.conftest import WorkerFactory
from tests.helpers import payloads, wait_for
from tests.testapp.jobs import DiscardJob, FailSlowlyJob, RecordJob, SlowJob

pytestmark = pytest.mark.django_db


def test_a_succeeded_job_is_found_with_its_duration_and_worker(
    redis_client: redis.Redis, app_redis: redis.Redis, start_worker: WorkerFactory
) -> None:
    jid = RecordJob.perform_async("kept")
    queued = find(app_redis, jid)
    assert queued is not None
    assert queued.state == "enqueued"
    assert queued.where == "default"
    worker = start_worker("-c", "2")
    identity = worker.wait_ready()
    wait_for(lambda: redis_client.llen("ledger:runs") == 1, 20, what="the run")
    found = wait_for(lambda: find(app_redis, jid), 10, what="the history")
    assert found.state == "succeeded"
    assert found.args == ["kept"]
    [run] = found.runs
    assert run.worker == identity
    assert run.state == "succeeded"
    assert run.took is not None
    assert 0 <= run.took < 10
    assert run.started is not None
    assert abs(run.started - time.time()) < 60
    [start] = [int(member) for member in redis_client.zrange(keys.FINISHED, 0, -1)]
    assert start % 60 == 0  # a bucket of one minute (HISTORY_TTL 86,400)
    assert redis_client.hexists(keys.finished(start), jid)
    assert 86_400 < redis_client.ttl(keys.finished(start)) <= 86_400 + 60
    assert redis_client.lrange(keys.HISTORY, 0, -1) == [f"{start}:{jid}".encode()]
    assert worker.stop() == 0


def test_a_retried_failure_keeps_its_traceback_and_every_run(
    redis_client: redis.Redis, app_redis: redis.Redis, start_worker: WorkerFactory
) -> None:
    jid = FailSlowlyJob.perform_async(2)  # fails twice (0.5 s in retry each time), then succeeds
    worker = start_worker("-c", "2")
    worker.wait_ready()
    wait_for(lambda: redis_client.zcard("retry") == 1, 20, what="the retry entry")
    [record] = payloads(redis_client, "retry")
    lines = decode(record["error_backtrace"])
    assert lines[0] == HEADING
    assert any("tests/testapp/jobs.py" in line and "in perform" in line for line in lines)
    assert 'raise ValueError(f"failure {run} of {times}")' in lines[-1]
    wait_for(lambda: redis_client.llen("ledger:runs") == 1, 30, what="the last run")
    found = wait_for(lambda: find(app_redis, jid), 10, what="the history")
    assert [run.state for run in found.runs] == ["retry", "retry", "succeeded"]
    assert [run.number for run in found.runs] == [1, 2, 3]
    assert found.runs[0].error == "ValueError: failure 1 of 2"
    assert found.runs[1].error == "ValueError: failure 2 of 2"
    assert all(run.score is not None for run in found.runs[:2])
    log = worker.log()
    assert log.count("Traceback (most recent call last)") == 1  # the first failure only
    assert "failure 2 of 2; retry 2" in log
    assert worker.stop() == 0


def test_states_while_scheduled_running_in_retry_and_discarded(
    redis_client: redis.Redis, app_redis: redis.Redis, start_worker: WorkerFactory
) -> None:
    later = RecordJob.perform_in(3600, "later")
    assert find(app_redis, later).state == "scheduled"  # type: ignore[union-attr]
    slow = SlowJob.perform_async(30, "slow")
    discarded = DiscardJob.perform_async()
    failing = FailSlowlyJob.set(retry=1).perform_async(5)
    worker = start_worker("-c", "3")
    identity = worker.wait_ready()
    running = wait_for(
        lambda: (f := find(app_redis, slow)) is not None and f.state == "running" and f,
        20,
        what="the slow job running",
    )
    assert running.where == identity
    gone = wait_for(
        lambda: (f := find(app_redis, discarded)) is not None and f.state == "discarded" and f,
        20,
        what="the discarded job",
    )
    assert gone.runs[0].state == "discarded"
    dead = wait_for(
        lambda: (f := find(app_redis, failing)) is not None and f.state == "dead" and f,
        30,
        what="the failing job dead",
    )
    assert [run.state for run in dead.runs] == ["retry", "dead"]
    assert dead.backtrace[0] == HEADING
    assert find(app_redis, "0" * 24) is None
    assert find(app_redis, "../etc/passwd") is None
    worker.kill()


def test_history_off_writes_nothing(redis_client: redis.Redis, start_worker: WorkerFactory) -> None:
    jid = RecordJob.perform_async("unrecorded")
    worker = start_worker("-c", "1", settings="tests.worker.settings_no_history")
    worker.wait_ready()
    wait_for(lambda: redis_client.llen("ledger:runs") == 1, 20, what="the run")
    assert worker.stop() == 0
    assert not redis_client.exists(keys.history(jid), keys.HISTORY)  # no key at all


def test_flush_indexes_the_jobs_that_ended_and_trims_to_the_size(
    redis_client: redis.Redis, app_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "TRIM_BATCH", 7)
    writer = history.HistoryWriter("host:1:abc", ttl=100, size=25)
    removed = 0
    for batch in range(3):  # three heartbeats, 20 runs apart, each in a bucket of its own
        pipe = redis_client.pipeline()
        for i in range(20 * batch, 20 * batch + 20):
            payload = {"jid": f"j{i:03d}", "class": "X", "args": []}
            if i % 10 == 0:
                writer.succeeded(b"{}", payload, 1000.0 + i, 0.5)
                continue
            state = "retry" if i % 10 == 1 else "dead" if i % 10 == 2 else "discarded"
            for command in writer.commands(b"{}", payload, state, 1000.0 + i, 0.5, "E"):
                pipe.execute_command(*command)
        pipe.execute()
        removed += writer.flush(app_redis, 100_000.0 + 60 * batch)
    left = [entry.decode() for entry in redis_client.lrange(keys.HISTORY, 0, -1)]
    assert len(left) == 25
    assert "j041" not in " ".join(left)  # a retry is indexed when the job ends, not before
    assert "j042" in left  # dead is an end, indexed by its jid alone
    # The newest are kept (a write pushes its deaths after its finished runs); a run in a
    # bucket is named with the bucket's start.
    assert left[:3] == ["j052", "j042", "100080:j059"]
    assert removed == 54 - 25
    assert redis_client.hkeys(keys.finished(99_960)) == []  # the first bucket: all trimmed
    assert not redis_client.exists(keys.history_runs("j012"))  # a trimmed death's runs
    assert redis_client.hexists(keys.finished(100_080), "j059")
    assert 100 < redis_client.ttl(keys.finished(100_080)) <= 100 + 60  # Redis expires it
    assert 0 < redis_client.ttl(keys.history_runs("j051")) <= 100
    assert writer.flush(app_redis, 100_090.0) == 0  # nothing pending, nothing over
    buckets = {int(m) for m in redis_client.zrange(keys.FINISHED, 0, -1)}
    assert buckets == {99_960, 100_020, 100_080}
    past = read_past(app_redis, "j050")
    assert past is not None
    assert [run.state for run in past.runs] == ["succeeded"]
    assert past.payload == b"{}"
    assert past.runs[0].started == 1050.0
    assert past.runs[0].took == 0.5
    assert past.runs[0].worker == "host:1:abc"
    writer.succeeded(b"{}", {"jid": "late"}, 100_399.0, 0.5)
    writer.write(app_redis, 100_400.0)  # 99,960 + 60 (written until) + 100 + 60 has passed
    assert [int(m) for m in redis_client.zrange(keys.FINISHED, 0, -1)] == [100_380]


def test_a_run_kept_by_an_older_version_is_still_read(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    run = {"n": 1, "state": "succeeded", "worker": "w:1:a", "start_ms": 5000, "took_us": 10}
    redis_client.set(keys.history("old1"), json.dumps(run).encode() + b"\n{}")
    found = find(app_redis, "old1")
    assert found is not None
    assert found.state == "succeeded"
    assert found.runs[0].worker == "w:1:a"


HOSTILE_RUNS = [
    b"not json",
    b'{"state": "<script>alert(1)</script>", "worker": ["x"], "start_ms": "NaN", "took_us": 1e308}',
    b'{"state": "dead", "worker": "<img src=x onerror=alert(1)>", "score": "1.5",'
    b' "error": "<b>boom</b>"}',
    b"[" * 50_000,
    json.dumps({"state": "retry", "worker": "w" * 10_000, "error": "e" * 5_000}).encode(),
]


def test_hostile_history_reads_safely(redis_client: redis.Redis, app_redis: redis.Redis) -> None:
    redis_client.rpush(keys.history_runs("hostile1"), *HOSTILE_RUNS)
    redis_client.zadd(keys.FINISHED, {"120": 120, "-60": -60, "abc": 1, "9" * 40: 2})
    redis_client.hset(keys.finished(120), "hostile1", b'{"state": "succeeded", "n": -4}\n\xff<sc')
    past = read_past(app_redis, "hostile1")
    assert past is not None
    assert len(past.runs) == len(HOSTILE_RUNS) + 1
    assert [run.state for run in past.runs] == ["", "", "dead", "", "retry", "succeeded"]
    assert [run.number for run in past.runs] == [1, 2, 3, 4, 5, 6]
    assert past.runs[1].started is None
    assert past.runs[1].took is None
    assert past.runs[2].score is None
    assert past.runs[1].worker == ""
    assert len(past.runs[4].worker) == 200
    assert len(past.runs[4].error) == history.ERROR_MAX
    found = find(app_redis, "hostile1")
    assert found is not None
    assert found.state == "succeeded"
    assert not found.ok
    redis_client.rpush(keys.history_runs("many"), *[json.dumps({"n": n}) for n in range(1, 201)])
    many = read_past(app_redis, "many")
    assert many is not None
    numbers = [run.number for run in many.runs]
    assert numbers == [*range(1, 26), *range(176, 201)]


def test_every_64th_success_carries_the_write_of_the_last_64(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    writer = history.HistoryWriter("host:1:abc", ttl=100, size=1000)
    rides = []
    for i in range(130):
        rides.append(writer.succeeded(b"{}", {"jid": f"r{i:03d}"}, 5000.0 + i, 0.25))
    assert [i for i, ride in enumerate(rides) if ride] == [63, 127]
    for command in rides[63] + rides[127]:
        redis_client.execute_command(*command)
    assert read_past(app_redis, "r127") is not None
    assert read_past(app_redis, "r000") is not None
    assert read_past(app_redis, "r128") is None  # kept until the next ride or write
    writer.write(app_redis, 5200.0)
    past = read_past(app_redis, "r129")
    assert past is not None
    assert past.runs[0].started == 5129.0
    assert redis_client.llen(keys.HISTORY) == 130
