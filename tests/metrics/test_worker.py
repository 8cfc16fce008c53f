"""A real worker writes exactly its runs into Sidekiq's metrics keys, with the heartbeat."""

from __future__ import annotations

import redis
from django.test import Client
from django.urls import reverse

from jobs.metrics import layout
from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.testapp.jobs import FailJob, RecordJob

RECORD = "tests.testapp.jobs.RecordJob"
FAIL = "tests.testapp.jobs.FailJob"


def summed(client: redis.Redis, pattern: str) -> dict[str, int]:
    """Every field of the hashes matching `pattern`, summed over them (the test's SCAN)."""
    totals: dict[str, int] = {}
    for key in client.scan_iter(match=pattern, count=1000):
        for field, value in client.hgetall(key).items():
            name = field.decode()
            totals[name] = totals.get(name, 0) + int(value)
    return totals


def counts(fields: dict[str, int], klass: str) -> tuple[int, int]:
    return fields.get(f"{klass}|p", 0), fields.get(f"{klass}|f", 0)


def test_a_worker_flushes_its_runs_per_class(
    start_worker: WorkerFactory, redis_client: redis.Redis, staff_client: Client
) -> None:
    for i in range(6):
        RecordJob.perform_async(i)
    for _ in range(4):
        FailJob.perform_async(1)  # fails once, then succeeds: two runs, one failure
    worker = start_worker("-c", "3")
    wait_for(lambda: redis_client.llen("ledger:runs") == 10, 60, what="every job to succeed")

    def flushed() -> bool:
        minutes = summed(redis_client, "j|??????|*:??")
        return counts(minutes, RECORD) == (6, 0) and counts(minutes, FAIL) == (8, 4)

    wait_for(flushed, 30, what="the heartbeat to flush the metrics")
    assert worker.stop() == 0
    minutes = summed(redis_client, "j|??????|*:??")  # nothing counted twice by the last flush
    tens = summed(redis_client, "j|??????|*:?")
    sidekiq7 = summed(redis_client, "j|????????|*")
    for fields in (minutes, tens, sidekiq7, summed(redis_client, layout.TOTALS)):
        assert counts(fields, RECORD) == (6, 0)
        assert counts(fields, FAIL) == (8, 4)
    assert minutes[f"{RECORD}|ms"] >= 0
    assert f"{FAIL}|ms" in minutes
    timed = summed(redis_client, "jobs:metrics:h|*")
    assert sum(v for k, v in timed.items() if k.startswith(RECORD + "|")) == 6  # successes only
    assert sum(v for k, v in timed.items() if k.startswith(FAIL + "|")) == 4
    grams = list(redis_client.scan_iter(match=f"h|{RECORD}-*"))
    assert grams
    assert all(0 < redis_client.ttl(key) <= layout.HISTOGRAM_TTL for key in grams)

    page = staff_client.get(reverse("jobs:job_metrics")).content.decode()
    assert "RecordJob" in page
    assert "FailJob" in page
