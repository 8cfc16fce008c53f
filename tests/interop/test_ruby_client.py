"""Jobs pushed by Ruby's `Sidekiq::Client` run on our worker; failures are Sidekiq records.

Ruby reads back our retry and dead entries with `Sidekiq::RetrySet` / `Sidekiq::DeadSet`
(the model of its Web UI) and presses its "Retry Now" on them.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis

from jobs.registry import job_name
from tests.conftest import WorkerFactory
from tests.helpers import payloads, wait_for
from tests.interop.sidekiq_ruby import RubyClient
from tests.testapp.jobs import InteropEchoJob, InteropFailJob

pytestmark = pytest.mark.slow


def echoes(client: redis.Redis) -> dict[str, dict[str, Any]]:
    """Runs of InteropEchoJob by jid."""
    runs = [json.loads(raw) for raw in client.lrange("ledger:echo", 0, -1)]
    return {run["jid"]: run for run in runs}


def test_ruby_pushed_jobs_run_on_our_worker(
    ruby: RubyClient, redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "2")
    name = job_name(InteropEchoJob)
    args = ["text", 42, 2.5, None, True, {"nested": [1, "ü", {"deep": False}]}]
    jids = ruby.push(
        {"class": name, "args": args},
        {"class": name, "args": ["urgent"], "queue": "critical"},
    )
    runs = wait_for(
        lambda: len(echoes(redis_client)) == 2 and echoes(redis_client), 20, what="both echoes"
    )
    assert runs == {
        jids[0]: {"jid": jids[0], "queue": "default", "args": args},
        jids[1]: {"jid": jids[1], "queue": "critical", "args": ["urgent"]},
    }
    wait_for(lambda: redis_client.get("stat:processed") == b"2", 10, what="stats flushed")
    state = ruby.state()
    assert state["stats"] == {"processed": 2, "failed": 0}
    assert all(jobs == [] for jobs in state["queues"].values())
    assert state["retry"] == state["dead"] == []
    assert worker.stop() == 0


def test_failure_is_a_retry_that_ruby_reads_and_retries(
    ruby: RubyClient, redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    start_worker("-c", "2")
    name = job_name(InteropFailJob)
    (jid,) = ruby.push({"class": name, "args": ["boom 7"]})  # a traceback by default
    wait_for(lambda: redis_client.zcard("retry") == 1, 20, what="the retry entry")

    (entry,) = ruby.state()["retry"]
    assert entry["jid"] == jid
    assert entry["class"] == name
    assert entry["args"] == ["boom 7"]
    assert entry["queue"] == "default"
    assert entry["retry_count"] == 0
    assert entry["error_class"] == "ValueError"
    assert entry["error_message"] == "boom 7"
    assert entry["retried_at"] is None
    assert abs(entry["failed_at"] - time.time()) < 60
    assert 3590 < entry["at"] - entry["failed_at"] < 3610  # the job's retry_in()
    # Ruby inflates our error_backtrace (base64 of zlib of a JSON list) like its own.
    assert any("tests/testapp/jobs.py" in line for line in entry["error_backtrace"])
    assert entry["error_backtrace"][0] == "Traceback (most recent call last):"

    # The Web UI's "Retry Now": Ruby takes it off `retry` and pushes it; our worker runs it.
    assert ruby.retry_now("retry", jid) is True
    wait_for(lambda: redis_client.get(f"ledger:fail:{jid}") == b"2", 20, what="the second run")
    wait_for(lambda: redis_client.zcard("retry") == 1, 10, what="the second retry entry")
    (again,) = ruby.state()["retry"]
    assert again["jid"] == jid
    # Ruby's retry takes one off retry_count and our failure adds it back, as in Sidekiq.
    assert again["retry_count"] == 0
    assert again["failed_at"] == pytest.approx(entry["failed_at"], abs=0.001)
    assert again["retried_at"] >= again["failed_at"]
    assert again["error_message"] == "boom 7"


def test_exhausted_retries_go_to_dead_and_ruby_reads_them(
    ruby: RubyClient, redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    start_worker("-c", "2")
    # retry: 1 and a retry_in() of 0 s: fail, retry at once, fail again, dead.
    (jid,) = ruby.push({"class": job_name(InteropFailJob), "args": ["gone", 0], "retry": 1})
    wait_for(lambda: redis_client.zcard("dead") == 1, 20, what="the dead entry")
    assert redis_client.get(f"ledger:fail:{jid}") == b"2"
    assert redis_client.zcard("retry") == 0

    (raw,) = payloads(redis_client, "dead")
    assert isinstance(raw["failed_at"], float)
    assert isinstance(raw["retried_at"], float)
    state = ruby.state()
    (entry,) = state["dead"]
    assert entry["jid"] == jid
    assert entry["retry"] == 1
    assert entry["retry_count"] == 1
    assert entry["error_class"] == "ValueError"
    assert entry["error_message"] == "gone"
    assert entry["failed_at"] <= entry["retried_at"] <= entry["at"] + 1
    assert abs(entry["at"] - time.time()) < 60
    assert state["retry"] == []
