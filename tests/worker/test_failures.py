"""Real worker processes: bad payloads, retries, the dead set, timeouts, poison pills."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
import redis

from tests.conftest import WorkerFactory
from tests.helpers import payloads, wait_for
from tests.testapp.jobs import (
    AlwaysFailJob,
    CrashJob,
    DiscardJob,
    FailJob,
    FailSlowlyJob,
    RecordJob,
    RetryEarlyJob,
    RetryForJob,
    SlowJob,
    TimeoutJob,
)

BAD_PAYLOADS = [
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"{not json", "not JSON"),
    (b"[1, 2]", "not an object"),
    (b'{"args": [], "jid": "abc"}', "no 'class'"),
    (b'{"class": "tests.testapp.jobs.RecordJob", "jid": "abc"}', "no 'args'"),
    (
        b'{"class": "os.system", "args": ["touch /tmp/pwned-by-jobs"], "jid": "abc1"}',
        "unknown job 'os.system'",
    ),
    (b'{"class": "builtins.eval", "args": ["1/0"], "jid": "abc2"}', "unknown job 'builtins.eval'"),
    (
        b'{"class": "tests.testapp.jobs.RecordJob", "args": [1, 2, 3], "jid": "abc3"}',
        "wrong arguments",
    ),
]


def dead(client: redis.Redis) -> list[dict[str, object]]:
    return payloads(client, "dead")


def the_dead_job(client: redis.Redis, jid: str) -> dict[str, Any]:
    """Wait for `jid` to be the one job in the dead set; return its record."""
    wait_for(lambda: client.zcard("dead") == 1, 20, what="the dead entry")
    [record] = dead(client)
    assert record["jid"] == jid
    return record


def test_bad_payloads_go_to_dead_and_valid_jobs_still_run(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    for raw, _ in BAD_PAYLOADS:
        redis_client.lpush("queue:default", raw)
    after = RecordJob.perform_async("after")
    worker = start_worker("-c", "2")
    wait_for(lambda: redis_client.llen("ledger:runs") == 1, 20, what="the valid job")
    wait_for(
        lambda: redis_client.zcard("dead") == len(BAD_PAYLOADS), 10, what="all bad payloads in dead"
    )
    assert redis_client.lrange("ledger:runs", 0, -1) == [after.encode()]
    messages = [str(entry["error_message"]) for entry in dead(redis_client)]
    for _, expected in BAD_PAYLOADS:
        assert any(expected in message for message in messages), (expected, messages)
    for entry in dead(redis_client):
        assert entry["error_class"] in {"InvalidPayload", "UnknownJob"}
        assert isinstance(entry["jid"], str)
        assert isinstance(entry["failed_at"], float)
    assert worker.process.poll() is None
    assert not os.path.exists("/tmp/pwned-by-jobs")
    assert worker.stop() == 0


def test_job_failing_twice_then_succeeding(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    start_worker("-c", "2")
    jid = FailJob.perform_async(2)
    wait_for(
        lambda: redis_client.lrange("ledger:runs", 0, -1) == [jid.encode()],
        20,
        what="the third run",
    )
    assert int(redis_client.get(f"ledger:fail:{jid}") or 0) == 3
    assert redis_client.zcard("retry") == 0
    assert redis_client.zcard("dead") == 0
    wait_for(lambda: int(redis_client.get("stat:failed") or 0) == 2, 5, what="failed stat flushed")
    assert int(redis_client.get("stat:processed") or 0) == 3


def test_retry_fields_after_a_failure(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    start_worker("-c", "1")
    # Retries 0.5 s apart: punctual retries at 0 s would reach dead before the test looks.
    jid = FailSlowlyJob.set(retry=5).perform_async(100)
    wait_for(lambda: int(redis_client.get(f"ledger:fail:{jid}") or 0) >= 2, 20, what="two failures")
    wait_for(
        lambda: redis_client.zcard("retry") or redis_client.llen("queue:default"),
        5,
        what="the job in retry or back on its queue",
    )
    # Catch the record between retries: it is either in `retry` or back on the queue.
    record = wait_for(
        lambda: payloads(redis_client, "retry") or payloads(redis_client, "queue:default"),
        10,
        what="the retry record",
    )[0]
    assert record["jid"] == jid
    assert record["error_class"] == "ValueError"
    assert str(record["error_message"]).startswith("failure")
    assert isinstance(record["failed_at"], float)
    assert record["retry_count"] >= 1
    assert record["retried_at"] >= record["failed_at"]


def test_retry_2_always_failing_is_dead_after_exactly_3_runs(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    start_worker("-c", "2")
    jid = AlwaysFailJob.perform_async()
    record = the_dead_job(redis_client, jid)
    assert record["retry_count"] == 2
    assert record["error_class"] == "RuntimeError"
    assert int(redis_client.get(f"ledger:fail:{jid}") or 0) == 3
    assert redis_client.zcard("retry") == 0


def test_retry_for_ends_retries_by_time_not_count(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    start_worker("-c", "1")
    jid = RetryForJob.perform_async()
    record = the_dead_job(redis_client, jid)
    assert record["retry_for"] == 1
    runs = int(redis_client.get(f"ledger:fail:{jid}") or 0)
    assert runs == record["retry_count"] + 1 >= 2  # retried while in the window (25 allowed)
    assert 1.0 < record["retried_at"] - record["failed_at"] < 10  # the run that died was past it
    # A Sidekiq 8 payload (epoch milliseconds) whose window closed long ago dies on this failure.
    old = {
        "class": "tests.testapp.jobs.RetryForJob",
        "args": [],
        "jid": "sidekiq8retryfor0000001",
        "queue": "default",
        "retry": True,
        "retry_for": 60,
        "retry_count": 0,
        "failed_at": int((time.time() - 3600) * 1000),
    }
    redis_client.lpush("queue:default", json.dumps(old))
    wait_for(lambda: redis_client.zcard("dead") == 2, 20, what="the Sidekiq 8 job in dead")
    assert int(redis_client.get("ledger:fail:sidekiq8retryfor0000001") or 0) == 1


def test_retry_early_and_discard(redis_client: redis.Redis, start_worker: WorkerFactory) -> None:
    start_worker("-c", "2")
    retried = RetryEarlyJob.perform_async()
    DiscardJob.perform_async()
    wait_for(
        lambda: redis_client.lrange("ledger:runs", 0, -1) == [retried.encode()],
        20,
        what="retried run",
    )
    assert redis_client.zcard("dead") == 0
    assert redis_client.zcard("retry") == 0


def test_timeout_records_jobtimeout_and_frees_the_thread(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "2")
    jid = TimeoutJob.perform_async(30)
    wait_for(lambda: redis_client.zcard("retry") == 1, 15, what="the timed-out job in retry")
    [record] = payloads(redis_client, "retry")
    assert record["jid"] == jid
    assert record["error_class"] == "JobTimeout"
    assert "timeout of 1 s" in str(record["error_message"])
    # Both threads are usable again: two 1-second jobs run side by side.
    started = time.monotonic()
    pair = [SlowJob.perform_async(1.0) for _ in range(2)]
    wait_for(lambda: redis_client.llen("ledger:finished") == 2, 10, what="two parallel jobs")
    assert time.monotonic() - started < 1.9
    assert set(redis_client.lrange("ledger:finished", 0, -1)) == {p.encode() for p in pair}
    assert "started a replacement" in worker.log()


@pytest.mark.slow
def test_poison_pill_goes_to_dead_after_4_crashes(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    jid = CrashJob.perform_async()
    others = RecordJob.perform_bulk([[i] for i in range(20)])
    crashes = 0
    # A supervisor: restart the worker each time the poison pill kills it.
    while redis_client.zcard("dead") == 0:
        assert crashes <= 4, "the poison pill killed more than 4 workers"
        worker = start_worker("-c", "1")
        wait_for(
            lambda w=worker: w.process.poll() is not None or redis_client.zcard("dead"),
            20,
            f"the pill to kill the worker or to reach dead (log {worker.log_path})",
            interval=0.05,
        )
        if worker.process.poll() is not None:
            crashes += 1
    [record] = dead(redis_client)
    assert record["jid"] == jid
    assert record["error_message"] == "killed its worker 2 times while running alone"
    # The first two crashes blame nobody (the pill ran as any job, not as a named solo
    # job: back to its queue, then a suspect), then two crashes while it ran alone.
    assert crashes == 4
    assert (record["suspected"], record["recoveries"]) == (2, 2)
    assert int(redis_client.get(f"ledger:crash:{jid}") or 0) == 4
    survivor = start_worker("-c", "2")
    survivor.wait_ready()
    wait_for(lambda: redis_client.llen("ledger:runs") == 20, 20, what="the other jobs")
    assert {r.decode() for r in redis_client.lrange("ledger:runs", 0, -1)} == set(others)
    assert survivor.stop() == 0
    assert json.loads(redis_client.zrange("dead", 0, -1)[0])["recoveries"] == 2
