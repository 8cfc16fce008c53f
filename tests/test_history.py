"""jobs/history.py and jobs/api/find.py against real Redis and real workers."""

from __future__ import annotations

import json
import time

import pytest
import redis

from jobs import history
from jobs.api import find
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
    assert 0 < redis_client.ttl(keys.history(jid)) <= 86_400
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
    for batch in range(3):  # three heartbeats, 20 runs apart
        pipe = redis_client.pipeline()
        for i in range(20 * batch, 20 * batch + 20):
            payload = {"jid": f"j{i:03d}", "class": "X", "args": []}
            state = "retry" if i % 10 == 1 else "dead" if i % 10 == 2 else "succeeded"
            for command in writer.commands(b"{}", payload, state, 1000.0 + i, 0.5, "E"):
                pipe.execute_command(*command)
        pipe.execute()
        removed += writer.flush(app_redis)
    left = [jid.decode() for jid in redis_client.lrange(keys.HISTORY, 0, -1)]
    assert len(left) == 25
    assert "j041" not in left  # a retry is indexed when the job ends, not before
    assert "j042" in left  # dead is an end
    assert left[0] == "j059"  # the newest are kept
    assert removed == 54 - 25
    assert not redis_client.exists(keys.history("j000"))  # trimmed: its keys deleted
    assert not redis_client.exists(keys.history_runs("j012"))
    assert redis_client.exists(keys.history("j059"))
    assert 0 < redis_client.ttl(keys.history("j059")) <= 100  # the TTL: Redis expires it
    assert 0 < redis_client.ttl(keys.history_runs("j051")) <= 100
    assert writer.flush(app_redis) == 0  # nothing pending, nothing over


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
    redis_client.set(keys.history("hostile1"), b'{"state": "succeeded", "n": -4}\n\xff<script>')
    past = history.read(app_redis, "hostile1")
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
    many = history.read(app_redis, "many")
    assert many is not None
    numbers = [run.number for run in many.runs]
    assert numbers == [*range(1, 26), *range(176, 201)]
