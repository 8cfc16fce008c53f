"""Our `perform_async` of a job named after a Ruby class runs on a real Ruby Sidekiq.

Python and Ruby workers share the Redis but not their queues: a Ruby worker fails any
class it has no constant for, so each language reads queues of its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from tests.conftest import WorkerFactory
from tests.helpers import payloads, wait_for
from tests.interop.conftest import RubyWorkerFactory
from tests.testapp.jobs import HardWorker, InteropEchoJob

pytestmark = pytest.mark.slow


def ruby_runs(client: redis.Redis) -> dict[str, dict[str, Any]]:
    """Runs recorded by the Ruby job classes, by jid."""
    runs = [json.loads(raw) for raw in client.lrange("ledger:ruby", 0, -1)]
    return {run["jid"]: run for run in runs}


def test_our_jobs_named_after_ruby_classes_run_on_a_ruby_worker(
    redis_client: redis.Redis, start_ruby_worker: RubyWorkerFactory
) -> None:
    ruby = start_ruby_worker("ruby")
    ruby.wait_ready()
    single = HardWorker.perform_async("bob", 5)
    bulk = HardWorker.perform_bulk([["ann", 1], ["cid", 2]])
    with_options = HardWorker.set(retry=3, tags=["interop"]).perform_async("dan", 4)
    runs = wait_for(
        lambda: len(ruby_runs(redis_client)) == 4 and ruby_runs(redis_client),
        20,
        what="Ruby to run the 4 jobs",
    )
    expected = {
        single: ["bob", 5],
        bulk[0]: ["ann", 1],
        bulk[1]: ["cid", 2],
        with_options: ["dan", 4],
    }
    assert runs == {
        jid: {"jid": jid, "class": "HardWorker", "args": args} for jid, args in expected.items()
    }
    assert ruby.stop() == 0
    # Ruby counted them (its stats are flushed at exit) and none failed.
    assert redis_client.get("stat:processed") == b"4"
    assert redis_client.get("stat:failed") == b"0"
    assert redis_client.zcard("retry") == redis_client.zcard("dead") == 0


def test_python_and_ruby_workers_share_a_redis_on_separate_queues(
    redis_client: redis.Redis, start_worker: WorkerFactory, start_ruby_worker: RubyWorkerFactory
) -> None:
    ruby = start_ruby_worker("ruby")
    python = start_worker("-c", "2", "-q", "default")
    ruby.wait_ready()
    python.wait_ready()
    ruby_jid = HardWorker.perform_async("from python", 1)
    python_jid = InteropEchoJob.perform_async("for python")
    wait_for(lambda: ruby_jid in ruby_runs(redis_client), 20, what="the Ruby side's job")
    wait_for(lambda: redis_client.llen("ledger:echo") == 1, 20, what="the Python side's job")
    echo = json.loads(redis_client.lindex("ledger:echo", 0) or b"null")
    assert echo["jid"] == python_jid
    assert list(ruby_runs(redis_client)) == [ruby_jid]
    assert ruby.stop() == 0
    assert python.stop() == 0
    # Neither side was handed a class it does not know.
    assert payloads(redis_client, "retry") == payloads(redis_client, "dead") == []
