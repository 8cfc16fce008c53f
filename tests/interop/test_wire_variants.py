"""Records as other Sidekiq versions write them, read by our worker and our dashboard.

The examples are in tests/interop/fixtures/: a Sidekiq 6.4 failure (captured), Sidekiq 8
payloads (integer millisecond timestamps) and Sidekiq 7/8 processes with their `:work`
hash of running jobs. No Ruby is needed: the records are written to Redis as they are.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client

from jobs.api import SortedJobSet, summaries
from jobs.registry import job_name
from tests.conftest import WorkerFactory
from tests.helpers import payloads, wait_for
from tests.testapp.jobs import InteropFailJob

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SIDEKIQ8 = "sidekiq8-payloads.json"


def capture(name: str) -> dict[str, Any]:
    """One example from tests/interop/fixtures/."""
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


def compact(payload: dict[str, Any]) -> str:
    """JSON as Ruby's `Sidekiq.dump_json` writes it."""
    return json.dumps(payload, separators=(",", ":"))


def add_process(client: redis.Redis, example: dict[str, Any]) -> str:
    """Write a process's heartbeat hash and `:work` hash as its own heartbeat would."""
    identity: str = example["identity"]
    pipe = client.pipeline(transaction=True)
    pipe.sadd("processes", identity)
    pipe.hset(identity, mapping=example["hash"])
    pipe.expire(identity, 60)
    pipe.hset(f"{identity}:work", mapping=example["work"])
    pipe.expire(f"{identity}:work", 60)
    pipe.execute()
    return identity


def key_of(client: redis.Redis, zset: str, jid: str) -> str:
    """The dashboard's `<score>-<id>` key of the member with `jid` (read with its API: give
    it `app_redis`)."""
    (record,) = [r for r in SortedJobSet(client, zset).page(0, 100, False).records if r.jid == jid]
    return record.key


def iso(epoch_ms: int) -> str:
    """The `datetime` attribute the dashboard renders for a millisecond timestamp."""
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}000+00:00"


# -- Sidekiq 6.4: what a failure record holds ---------------------------------------------


@pytest.mark.slow
def test_our_failure_record_has_the_fields_sidekiq_writes(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    example = capture("sidekiq6-failure-to-retry.json")
    # The captured push, naming our job: it fails with "boom 7" as FailJob did in Ruby.
    pushed = {**example["pushed"], "class": job_name(InteropFailJob), "args": ["boom 7"]}
    redis_client.sadd("queues", "default")
    redis_client.lpush("queue:default", compact(pushed))
    start_worker("-c", "1")
    wait_for(lambda: redis_client.zcard("retry") == 1, 20, what="the retry entry")
    (ours,) = payloads(redis_client, "retry")
    sidekiqs = example["retry"]
    # Ours keeps the traceback by default, in the field Sidekiq writes with `backtrace: true`.
    assert set(ours) == {*sidekiqs, "error_backtrace"}
    for field in ("retry", "queue", "jid", "created_at", "enqueued_at", "retry_count"):
        assert ours[field] == sidekiqs[field], field
    assert ours["error_message"] == sidekiqs["error_message"]
    assert isinstance(ours["failed_at"], float)


# -- Sidekiq 8: integer millisecond timestamps --------------------------------------------


@pytest.mark.slow
def test_sidekiq8_job_runs_on_our_worker(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    job = capture(SIDEKIQ8)["job"]
    redis_client.sadd("queues", "default")
    redis_client.lpush("queue:default", compact(job))
    start_worker("-c", "1")
    wait_for(lambda: redis_client.llen("ledger:echo") == 1, 20, what="the Sidekiq 8 job")
    run = json.loads(redis_client.lindex("ledger:echo", 0) or b"null")
    assert run == {"jid": job["jid"], "queue": "default", "args": job["args"]}
    assert redis_client.zcard("dead") == 0


@pytest.mark.slow
def test_sidekiq8_retry_fails_again_on_our_worker_keeping_its_timestamps(
    redis_client: redis.Redis,
    start_worker: WorkerFactory,
    staff_client: Client,
    app_redis: redis.Redis,
) -> None:
    member = capture(SIDEKIQ8)["retry"]
    redis_client.zadd("retry", {compact(member): time.time() - 1})  # due now
    start_worker("-c", "1")
    wait_for(lambda: redis_client.zcard("dead") == 1, 20, what="the second failure")
    (dead,) = payloads(redis_client, "dead")
    assert dead["retry_count"] == 1  # its retry: 1 is used up
    assert dead["error_class"] == "ValueError"
    assert dead["error_message"] == "boom 8"
    # The first failure's time and the creation time stay as Sidekiq 8 wrote them.
    assert dead["failed_at"] == member["failed_at"]
    assert dead["created_at"] == member["created_at"]
    assert abs(dead["retried_at"] - time.time()) < 60

    page = staff_client.get(f"/admin/jobs/dead/{key_of(app_redis, 'dead', member['jid'])}")
    body = page.content.decode()
    assert page.status_code == 200
    assert iso(member["failed_at"]) in body
    assert iso(member["created_at"]) in body


def test_dashboard_reads_sidekiq8_timestamps(
    redis_client: redis.Redis, staff_client: Client, app_redis: redis.Redis
) -> None:
    example = capture(SIDEKIQ8)
    job, retry, dead = example["job"], example["retry"], example["dead"]
    redis_client.sadd("queues", "sidekiq8")
    redis_client.lpush("queue:sidekiq8", compact({**job, "queue": "sidekiq8"}))
    redis_client.zadd("retry", {compact(retry): example["retry_score"]})
    redis_client.zadd("dead", {compact(dead): example["dead_score"]})

    now = time.time()
    (summary,) = summaries(app_redis, now)
    assert summary.latency == pytest.approx(now - job["enqueued_at"] / 1000, abs=5)
    queue_page = staff_client.get("/admin/jobs/queues/sidekiq8").content.decode()
    assert iso(job["enqueued_at"]) in queue_page

    retry_page = staff_client.get(f"/admin/jobs/retries/{key_of(app_redis, 'retry', retry['jid'])}")
    body = retry_page.content.decode()
    assert retry_page.status_code == 200
    assert iso(retry["failed_at"]) in body
    assert iso(retry["enqueued_at"]) in body

    dead_page = staff_client.get(f"/admin/jobs/dead/{key_of(app_redis, 'dead', dead['jid'])}")
    body = dead_page.content.decode()
    assert dead_page.status_code == 200
    for field in ("created_at", "enqueued_at", "failed_at", "retried_at"):
        assert iso(dead[field]) in body, field


# -- Sidekiq 7 and 8 processes: `<identity>:work` -----------------------------------------


def test_dashboard_shows_a_sidekiq7_process_and_its_running_job(
    redis_client: redis.Redis, staff_client: Client
) -> None:
    identity = add_process(redis_client, capture("sidekiq7-process.json"))
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    assert f"<code>{identity}</code> · v7.3.9" in body
    assert "<strong>app-1</strong>:4242" in body
    assert "default, reports" in body
    assert "1 / 5 busy" in body
    assert "ReportWorker" in body
    assert "5b6c7d8e9f0a1b2c3d4e5f60" in body
    assert "[42, &quot;weekly&quot;]" in body
    assert 'datetime="2026-11-22T19:07:41+00:00"' in body  # run_at, whole seconds

    # Quiet goes through `<identity>-signals`, which Sidekiq 7 pops on its heartbeat.
    staff_client.post("/admin/jobs/actions/busy/signal", {"identity": identity, "signal": "quiet"})
    assert redis_client.lrange(f"{identity}-signals", 0, -1) == [b"TSTP"]


def test_dashboard_shows_a_sidekiq8_process_and_its_running_job(
    redis_client: redis.Redis, staff_client: Client
) -> None:
    identity = add_process(redis_client, capture("sidekiq8-process.json"))
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    assert f"<code>{identity}</code> · v8.1.7" in body
    assert "InvoiceWorker" in body
    assert "6c7d8e9f0a1b2c3d4e5f6071" in body
    # Sidekiq 8 keeps the thread count in the hash's `concurrency` field, not in `info`.
    assert "1 / 10 busy" in body
    assert "<dd>1 / 10</dd>" in body  # threads busy of all threads


def test_our_heartbeat_writes_concurrency_where_sidekiq8_reads_it(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    identity = start_worker("-c", "3").wait_ready()
    # Sidekiq 8's ProcessSet takes the thread count from this field, over the one in `info`.
    assert redis_client.hget(identity, "concurrency") == b"3"
    assert json.loads(redis_client.hget(identity, "info") or b"{}")["concurrency"] == 3


@pytest.mark.slow
def test_our_worker_keeps_a_live_sidekiq7_process_and_prunes_a_dead_one(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    example = capture("sidekiq7-process.json")
    identity = add_process(redis_client, example)
    gone = "app-1:4243:0f0f0f0f0f0f"  # in `processes`, but its heartbeat hash expired
    redis_client.sadd("processes", gone)
    ours = start_worker("-c", "1").wait_ready()
    wait_for(
        lambda: not redis_client.sismember("processes", gone), 30, what="the poller's prune pass"
    )
    assert {m.decode() for m in redis_client.smembers("processes")} == {identity, ours}
    work = {k.decode(): v.decode() for k, v in redis_client.hgetall(f"{identity}:work").items()}
    assert work == example["work"]  # its running job is its own business, not recovered
    assert redis_client.llen("queue:default") == redis_client.llen("queue:reports") == 0
    assert redis_client.zcard("dead") == 0
