"""Unique jobs against real Redis: one lock and push per identity, released with the ack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import transaction

from jobs import Job
from jobs.completion import Completion
from jobs.payload import loads
from jobs.unique import check_options, digest, release_command, with_release
from tests.helpers import ROOT, payloads
from tests.testapp.flow_jobs import UniqueLedgerJob


def lock_keys(client: redis.Redis) -> list[bytes]:
    return sorted(client.scan_iter(match="jobs:unique:*"))


def test_a_duplicate_pushes_nothing_and_returns_none(redis_client: redis.Redis) -> None:
    first = UniqueLedgerJob.perform_async(5, "a")
    assert first is not None
    assert UniqueLedgerJob.perform_async(5, "a") is None
    assert UniqueLedgerJob.perform_async(5, "b") is not None  # other args: another identity
    assert UniqueLedgerJob.set(queue="other").perform_async(5, "a") is not None  # other queue
    assert len(payloads(redis_client, "queue:default")) == 2
    assert len(payloads(redis_client, "queue:other")) == 1
    [oldest] = payloads(redis_client, "queue:default")[-1:]
    assert oldest["jid"] == first
    assert oldest["unique_for"] == 60
    key = f"jobs:unique:{oldest['unique_digest']}"
    assert redis_client.hkeys(key) == [first.encode()]
    assert 55 <= redis_client.ttl(key) <= 60


def test_identity_is_canonical_json_of_class_queue_args() -> None:
    assert digest("A", "q", [{"b": 1, "a": 2}]) == digest("A", "q", [{"a": 2, "b": 1}])
    assert digest("A", "q", [1]) != digest("A", "q", ["1"])
    assert digest("A", "q", [1]) != digest("A", "r", [1])


def test_bulk_skips_duplicates_and_returns_none_for_them(redis_client: redis.Redis) -> None:
    UniqueLedgerJob.perform_async(1, "x")
    jids = UniqueLedgerJob.perform_bulk([[1, "x"], [2, "x"], [2, "x"], [3, "x"]])
    assert jids[0] is None
    assert jids[2] is None
    assert jids[1] is not None
    assert jids[3] is not None
    assert len(payloads(redis_client, "queue:default")) == 3


def test_scheduled_jobs_are_unique_too_and_lock_past_their_due_time(
    redis_client: redis.Redis,
) -> None:
    assert UniqueLedgerJob.perform_in(100, 1) is not None
    assert UniqueLedgerJob.perform_async(1) is None
    assert UniqueLedgerJob.perform_at(time.time() + 50, 1) is None
    assert redis_client.zcard("schedule") == 1
    [key] = lock_keys(redis_client)
    assert 150 <= redis_client.ttl(key) <= 161  # the wait plus unique_for


def test_unique_for_per_call_and_zero_means_not_unique(redis_client: redis.Redis) -> None:
    options = UniqueLedgerJob.set(unique_for=0)
    assert options.perform_async(1) is not None
    assert options.perform_async(1) is not None
    assert lock_keys(redis_client) == []


def test_inside_a_transaction_the_decision_waits_for_the_commit(
    redis_client: redis.Redis, transactional_db: None
) -> None:
    with transaction.atomic():
        assert UniqueLedgerJob.perform_async(1) is not None
        assert UniqueLedgerJob.perform_async(1) is not None  # decided at commit
        assert redis_client.llen("queue:default") == 0
    assert redis_client.llen("queue:default") == 1


@pytest.mark.parametrize(
    ("unique_for", "until"),
    [(-1, "success"), ("10", "success"), (float("nan"), "success"), (10, "end"), (10, None)],
)
def test_bad_options_raise_at_definition_and_in_set(unique_for: object, until: object) -> None:
    with pytest.raises(ValueError, match="unique_"):
        check_options(unique_for, until)
    with pytest.raises(ValueError, match="unique_"):
        type(
            "BadUniqueJob",
            (Job,),
            {"abstract": True, "unique_for": unique_for, "unique_until": until},
        )
    with pytest.raises(ValueError, match="unique_"):
        UniqueLedgerJob.set(unique_for=unique_for, unique_until=until)


def test_release_rides_the_ack_except_for_a_retry() -> None:
    body = {"class": "X", "args": [], "jid": "j1", "queue": "q", "unique_digest": "a" * 64}
    payload = loads(json.dumps(body))
    done = with_release(Completion(b"raw", writes=(("HSET", "k", "f", "v"),)), payload)
    assert done.writes == (("HSET", "k", "f", "v"), ("HDEL", "jobs:unique:" + "a" * 64, "j1"))
    assert with_release(Completion(b"raw", "dead", "m", 1.0), payload).writes[-1][0] == "HDEL"
    assert with_release(Completion(b"raw", "retry", "m", 1.0), payload).writes == ()
    hostile = {**body, "unique_digest": "queue:default"}
    assert release_command(hostile) is None  # a key name read from Redis is never used


RACER = """
import os, sys, time, django
django.setup()
from tests.testapp.flow_jobs import UniqueLedgerJob
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
won = [UniqueLedgerJob.perform_async(0, f"race-{i}") for i in range(40)]
won += UniqueLedgerJob.perform_bulk([[0, f"bulk-{i}"] for i in range(40)])
print(sum(jid is not None for jid in won))
"""


def test_racing_enqueuers_in_many_processes_never_both_win(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "REDIS_URL": redis_url}
    env["PYTHONPATH"] = str(ROOT)
    start = time.time() + 3.0
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, repr(start)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    wins = [int(racer.communicate(timeout=60)[0].strip()) for racer in racers]
    assert sum(wins) == 80  # each of the 80 identities won exactly once, by some process
    jobs = payloads(redis_client, "queue:default")
    assert len(jobs) == 80
    assert len({tuple(job["args"]) for job in jobs}) == 80
    assert len(lock_keys(redis_client)) == 80


def test_a_late_release_never_frees_a_newer_jobs_lock(redis_client: redis.Redis) -> None:
    old = UniqueLedgerJob.set(unique_for=1)
    first = old.perform_async(9)
    assert first is not None
    [key] = lock_keys(redis_client)
    redis_client.delete(key)  # as if it expired while the first job still ran
    second = UniqueLedgerJob.perform_async(9)
    assert second is not None
    [older, newer] = payloads(redis_client, "queue:default")[::-1]
    assert older["jid"] == first
    command = release_command(older)  # the first job finishes now
    assert command is not None
    redis_client.execute_command(*command)
    assert redis_client.hkeys(key) == [second.encode()]  # the newer job's lock stays
    redis_client.execute_command(*release_command(newer))  # type: ignore[misc]
    assert redis_client.exists(key) == 0
