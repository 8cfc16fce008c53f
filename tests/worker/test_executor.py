"""The worker's executor: bytes in, a Completion out (ack, retry or dead), on a test clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from jobs import Discard, Job, Retry
from jobs.completion import Completion
from jobs.conf import get_settings
from jobs.moves import retry
from jobs.payload import JobPayload, dumps
from jobs.runtime.clock import Clock
from jobs.worker.executor import Executor
from jobs.worker.stats import Counters

# Executor.run closes the job's stale database connections, as the worker does after
# every job: that needs database access when an earlier test left a connection open.
pytestmark = pytest.mark.django_db

NOW = 1_795_000_000.0


class FixedClock(Clock):
    """Redis-server time as the test sets it."""

    def __init__(self, now: float) -> None:
        super().__init__()
        self.at = now

    def now(self) -> float:
        return self.at


class FlakyJob(Job):
    def retry_in(self, count: int, exc: BaseException) -> float:
        return 10 * (count + 1)

    def perform(self, how: str) -> None:
        if how == "discard":
            raise Discard
        if how == "retry":
            raise Retry(in_=3)
        if how != "ok":
            raise ValueError(how)


def raw_of(args: list[Any], **extra: Any) -> bytes:
    body = {"class": f"{__name__}.FlakyJob", "args": args, "jid": "jid1", "queue": "q", **extra}
    return json.dumps(body).encode()


@pytest.fixture
def executor() -> Executor:
    return Executor(get_settings(), Counters(), FixedClock(NOW))


def run(executor: Executor, raw: bytes) -> Completion:
    decoded = executor.decode(raw)
    assert not isinstance(decoded, Completion), decoded
    payload, cls = decoded
    assert isinstance(payload, JobPayload)
    return executor.run(raw, payload, executor.prepare(payload, cls))


def test_success_and_discard_are_plain_acks(executor: Executor) -> None:
    assert run(executor, raw_of(["ok"])) == Completion(raw_of(["ok"]))
    assert run(executor, raw_of(["discard"])) == Completion(raw_of(["discard"]))
    assert executor.counters.take() == (2, 0)


def test_a_bad_payload_is_dead_at_the_clocks_time(executor: Executor) -> None:
    raw = b'{"class":"os.system","args":["rm"],"jid":"evil","queue":"low"}'
    completion = executor.decode(raw)
    assert isinstance(completion, Completion)
    assert (completion.kind, completion.score) == ("dead", NOW)
    record = json.loads(completion.member)
    assert record["failed_at"] == NOW
    assert (record["jid"], record["queue"], record["error_class"]) == ("evil", "low", "UnknownJob")
    assert executor.counters.take() == (1, 1)


def test_wrong_arity_is_dead_with_pythons_words(executor: Executor) -> None:
    completion = executor.decode(raw_of(["ok", "extra"]))
    assert isinstance(completion, Completion)
    assert "wrong arguments for FlakyJob.perform(): too many" in completion.member


def test_a_first_failure_goes_to_retry(executor: Executor) -> None:
    completion = run(executor, raw_of(["boom"]))
    assert (completion.kind, completion.score) == ("retry", NOW + 10)
    record = json.loads(completion.member)
    assert record["retry_count"] == 0
    assert record["failed_at"] == NOW
    assert (record["error_class"], record["error_message"]) == ("ValueError", "boom")
    assert executor.counters.take() == (1, 1)


def test_a_boolean_retry_count_counts_as_no_failure_yet(executor: Executor) -> None:
    record = json.loads(run(executor, raw_of(["boom"], retry_count=True)).member)
    assert record["retry_count"] == 0
    assert "retried_at" not in record


def test_retry_requested_by_the_job_is_not_counted_as_failed(executor: Executor) -> None:
    completion = run(executor, raw_of(["retry"]))
    assert (completion.kind, completion.score) == ("retry", NOW + 3)
    assert executor.counters.take() == (1, 0)


def test_retries_exhausted_goes_dead(executor: Executor) -> None:
    completion = run(executor, raw_of(["boom"], retry=2, retry_count=1, failed_at=NOW - 50))
    assert (completion.kind, completion.score) == ("dead", NOW)
    record = json.loads(completion.member)
    assert (record["retry_count"], record["retried_at"], record["failed_at"]) == (2, NOW, NOW - 50)


def test_unknown_keys_ride_along_into_the_retry_record(executor: Executor) -> None:
    record = json.loads(run(executor, raw_of(["boom"], bid="b-1", wrapped="W")).member)
    assert (record["bid"], record["wrapped"]) == ("b-1", "W")


def test_the_retry_record_is_written_by_sets(
    executor: Executor, redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    raw = raw_of(["boom"])
    redis_client.lpush("inprogress-test", raw)
    completion = run(executor, raw)
    retry(app_redis, "inprogress-test", completion.raw, completion.member, completion.score)
    assert redis_client.llen("inprogress-test") == 0
    [(member, score)] = redis_client.zrange("retry", 0, -1, withscores=True)
    assert (member.decode(), score) == (completion.member, NOW + 10)
    assert dumps(json.loads(member)) == completion.member
