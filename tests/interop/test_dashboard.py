"""What Ruby Sidekiq writes shows up in our dashboard, and acting there works for Ruby.

A real Ruby worker fails jobs into its `retry` and `dead` sets; our dashboard lists
them, retries some (the Ruby worker then runs them) and deletes others.
"""

from __future__ import annotations

import json

import pytest
import redis
from django.test import Client

from jobs.api import SortedJobSet
from tests.helpers import wait_for
from tests.interop.conftest import RubyWorkerFactory
from tests.interop.sidekiq_ruby import RubyClient

pytestmark = pytest.mark.slow


def keys_by_arg(client: redis.Redis, zset: str) -> dict[str, str]:
    """The dashboard's `<score>-<id>` key of each member, by its first argument (its API
    reads them: give it `app_redis`)."""
    records = SortedJobSet(client, zset).page(0, 100, False).records
    return {str(record.args[0]): record.key for record in records}


def ruby_ran(client: redis.Redis) -> set[str]:
    """Jids the Ruby job classes ran to completion."""
    return {json.loads(raw)["jid"] for raw in client.lrange("ledger:ruby", 0, -1)}


def act(client: Client, slug: str, action: str, key: str) -> None:
    """Press a button of a sorted-set page for one job."""
    response = client.post(f"/admin/jobs/actions/{slug}/", {"action": action, "key": key})
    assert response.status_code == 302


def test_ruby_retries_and_dead_jobs_are_retried_and_deleted_from_our_dashboard(
    ruby: RubyClient,
    start_ruby_worker: RubyWorkerFactory,
    redis_client: redis.Redis,
    staff_client: Client,
    app_redis: redis.Redis,
) -> None:
    worker = start_ruby_worker("ruby")
    worker.wait_ready()
    flaky = {"class": "FlakyWorker", "queue": "ruby", "backtrace": 5}
    jids = dict(
        zip(
            ["retry-me", "delete-me", "revive-me", "bury-me", "queued"],
            ruby.push(
                {**flaky, "args": ["retry-me"]},
                {**flaky, "args": ["delete-me"]},
                {**flaky, "args": ["revive-me"], "retry": 0},
                {**flaky, "args": ["bury-me"], "retry": 0},
                {"class": "HardWorker", "queue": "ruby-later", "args": ["queued"]},
            ),
            strict=True,
        )
    )
    # Each FlakyWorker fails its first run: Ruby puts it in `retry` (15 s or more away) or `dead`.
    wait_for(
        lambda: redis_client.zcard("retry") == 2 and redis_client.zcard("dead") == 2,
        20,
        what="Ruby's retry and dead entries",
    )
    retries, dead = keys_by_arg(app_redis, "retry"), keys_by_arg(app_redis, "dead")

    listing = staff_client.get("/admin/jobs/retries/").content.decode()
    for text in ("FlakyWorker", "flaky retry-me failed on run 1", "delete-me", "ArgumentError"):
        assert text in listing
    detail = staff_client.get(f"/admin/jobs/retries/{retries['retry-me']}").content.decode()
    assert jids["retry-me"] in detail
    assert "workers.rb" in detail  # Ruby's compressed error_backtrace, inflated by us
    listing = staff_client.get("/admin/jobs/dead/").content.decode()
    assert "flaky revive-me failed on run 1" in listing
    assert "bury-me" in listing
    queue = staff_client.get("/admin/jobs/queues/ruby-later").content.decode()
    assert "HardWorker" in queue
    assert jids["queued"] in queue

    act(staff_client, "retries", "enqueue", retries["retry-me"])
    act(staff_client, "retries", "delete", retries["delete-me"])
    act(staff_client, "dead", "enqueue", dead["revive-me"])
    act(staff_client, "dead", "delete", dead["bury-me"])

    # The Ruby worker takes the two retried jobs from its queue; their second run succeeds.
    revived = {jids["retry-me"], jids["revive-me"]}
    wait_for(lambda: ruby_ran(redis_client) == revived, 20, what="Ruby to run the retried jobs")
    assert worker.stop() == 0
    state = ruby.state()
    assert state["retry"] == state["dead"] == []
    assert [job["jid"] for job in state["queues"]["ruby-later"]] == [jids["queued"]]
    assert ruby_ran(redis_client) == revived  # the deleted ones never ran again


def test_a_ruby_process_and_its_running_job_show_on_our_busy_page(
    ruby: RubyClient,
    start_ruby_worker: RubyWorkerFactory,
    redis_client: redis.Redis,
    staff_client: Client,
) -> None:
    worker = start_ruby_worker("ruby")
    identity = worker.wait_ready()
    (jid,) = ruby.push({"class": "SleepyWorker", "queue": "ruby", "args": ["ledger:wake"]})
    wait_for(
        lambda: redis_client.lrange("ledger:ruby:started", 0, -1) == [jid.encode()],
        20,
        what="Ruby to start the job",
    )
    # Sidekiq 6.4 lists running jobs in `<identity>:workers` on its next heartbeat (5 s).
    wait_for(lambda: redis_client.hlen(f"{identity}:workers") == 1, 15, what="Ruby's heartbeat")
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    assert f"<code>{identity}</code>" in body
    assert f":{worker.pid}" in body
    assert "SleepyWorker" in body
    assert jid in body
    assert "[&quot;ledger:wake&quot;]" in body
    redis_client.rpush("ledger:wake", "now")
    wait_for(lambda: jid in ruby_ran(redis_client), 20, what="the job to finish")
    assert worker.stop() == 0
