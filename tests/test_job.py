"""The enqueue API against real Redis: payloads, queues, schedule, bulk, on_commit."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from django.db import transaction

from jobs import EnqueueError, Job
from jobs.redis.connection import make_client
from jobs.redis.lane import Lane
from jobs.registry import jobs_registry
from tests.helpers import payloads
from tests.testapp.jobs import NamedJob, RecordJob


def test_perform_async_writes_sidekiq_payload(redis_client: redis.Redis) -> None:
    before = time.time()
    jid = RecordJob.perform_async({"k": [1, 2.5, None, True]})
    assert re.fullmatch(r"[0-9a-f]{24}", jid)
    assert redis_client.smembers("queues") == {b"default"}
    [payload] = payloads(redis_client, "queue:default")
    assert payload["class"] == "tests.testapp.jobs.RecordJob"
    assert payload["args"] == [{"k": [1, 2.5, None, True]}]
    assert payload["jid"] == jid
    assert payload["queue"] == "default"
    assert payload["retry"] is True
    assert before <= payload["created_at"] <= payload["enqueued_at"] <= time.time()


def test_class_name_option_is_the_wire_name(redis_client: redis.Redis) -> None:
    NamedJob.perform_async(1)
    [payload] = payloads(redis_client, "queue:default")
    assert payload["class"] == "NamedRubyStyleJob"


def test_set_overrides_options_per_call(redis_client: redis.Redis) -> None:
    RecordJob.set(queue="critical", retry=3).perform_async(1)
    [payload] = payloads(redis_client, "queue:critical")
    assert (payload["queue"], payload["retry"]) == ("critical", 3)
    with pytest.raises(TypeError, match="unknown job option"):
        RecordJob.set(colour="red")


def test_retry_for_is_written_like_sidekiqs(redis_client: redis.Redis) -> None:
    class Patient(Job):
        retry_for = 3600

        def perform(self) -> None: ...

    try:
        Patient.perform_async()
        Patient.set(retry_for=60).perform_async()
        RecordJob.perform_async(1)
        first, second, plain = payloads(redis_client, "queue:default")[::-1]
        assert (first["retry_for"], second["retry_for"]) == (3600, 60)
        assert "retry_for" not in plain
        with pytest.raises(TypeError, match="job options"):
            Patient.set(retry_for=timedelta(hours=1))
    finally:
        jobs_registry.unregister(
            "tests.test_job.test_retry_for_is_written_like_sidekiqs.<locals>.Patient"
        )


def test_perform_in_and_at_write_schedule(redis_client: redis.Redis) -> None:
    now = time.time()
    RecordJob.perform_in(3600, "in")
    RecordJob.perform_in(timedelta(minutes=2), "delta")
    RecordJob.perform_at(datetime.now(UTC) + timedelta(days=1), "at")
    entries = redis_client.zrange("schedule", 0, -1, withscores=True)
    assert len(entries) == 3
    by_arg = {json.loads(member)["args"][0]: score for member, score in entries}
    assert by_arg["delta"] == pytest.approx(now + 120, abs=2)
    assert by_arg["in"] == pytest.approx(now + 3600, abs=2)
    assert by_arg["at"] == pytest.approx(now + 86400, abs=2)
    assert all("enqueued_at" not in json.loads(member) for member, _ in entries)
    assert redis_client.llen("queue:default") == 0


def test_perform_at_in_the_past_enqueues_now(redis_client: redis.Redis) -> None:
    RecordJob.perform_at(time.time() - 10, "late")
    assert redis_client.llen("queue:default") == 1
    assert redis_client.zcard("schedule") == 0


def test_perform_bulk_is_one_round_trip(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    original = Lane.call

    def counting(self: Lane, commands: list[tuple[Any, ...]]) -> list[Any]:
        calls.append([command[0] for command in commands])
        return original(self, commands)

    monkeypatch.setattr(Lane, "call", counting)
    jids = RecordJob.perform_bulk([[i] for i in range(2500)])
    assert len(set(jids)) == 2500
    assert calls == [["SADD", "LPUSH"]]  # one multi-value LPUSH, sent with the SADD in one write
    items = payloads(redis_client, "queue:default")
    assert len(items) == 2500
    assert len({p["created_at"] for p in items}) == 1


def test_plain_perform_call_needs_no_redis() -> None:
    class Adder(Job):
        abstract = True

        def perform(self, a: int, b: int) -> int:
            return a + b

    assert Adder().perform(2, 3) == 5


@pytest.mark.django_db(transaction=True)
def test_enqueue_waits_for_commit(redis_client: redis.Redis) -> None:
    with transaction.atomic():
        RecordJob.perform_async("committed")
        assert redis_client.llen("queue:default") == 0
    assert redis_client.llen("queue:default") == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_enqueues_nothing(redis_client: redis.Redis) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        RecordJob.perform_async("rolled back")
        RecordJob.perform_in(60, "rolled back")
        raise RuntimeError("rollback")
    assert redis_client.dbsize() == 0


@pytest.mark.django_db(transaction=True)
def test_on_commit_false_pushes_at_once(redis_client: redis.Redis) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        RecordJob.set(on_commit=False).perform_async("now")
        raise RuntimeError("rollback")
    assert redis_client.llen("queue:default") == 1


def test_enqueue_with_redis_down_raises_enqueue_error(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = make_client("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    monkeypatch.setattr("jobs.client.get_redis", lambda: dead)
    with pytest.raises(EnqueueError, match=r"could not enqueue 1 tests.testapp.jobs.RecordJob"):
        RecordJob.perform_async(1)
    with pytest.raises(EnqueueError, match=r"could not enqueue 1 tests.testapp.jobs.RecordJob"):
        RecordJob.perform_in(60, 1)


def test_registry_refuses_a_second_class_under_a_taken_name() -> None:
    with pytest.raises(RuntimeError, match="is taken"):

        class Impostor(Job):
            name = "NamedRubyStyleJob"

            def perform(self) -> None: ...


@pytest.mark.django_db
def test_test_case_transaction_does_not_hold_jobs_back(redis_client: redis.Redis) -> None:
    # pytest-django wraps this test in an atomic block that never commits: jobs go out at once,
    # as they would in production where that block does not exist.
    RecordJob.perform_async("visible")
    assert redis_client.llen("queue:default") == 1
