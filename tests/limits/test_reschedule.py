"""OverLimit in the executor: the job goes back to `schedule`, neither failed nor retried."""

from __future__ import annotations

import json

import pytest

from jobs import Job
from jobs.completion import write_with_ack
from jobs.conf import get_settings
from jobs.limits import OverLimit
from jobs.limits.reschedule import LEAST_DELAY, MOST_DELAY, delay
from jobs.runtime.clock import Clock
from jobs.worker.executor import Executor
from jobs.worker.stats import Counters

pytestmark = pytest.mark.django_db
NOW = 1_795_000_000.0


class StillClock(Clock):
    def now(self) -> float:
        return NOW


class BusyJob(Job):
    def perform(self) -> None:
        write_with_ack("HSET", "result", "f", "v")  # dropped: the job did not finish
        raise OverLimit("stripe", 2.0)


def test_delay_is_the_hint_plus_a_jitter_that_widens() -> None:
    assert delay(2.0, 0, rand=0.0) == 2.0
    assert delay(2.0, 0, rand=1.0) == 2.5
    assert delay(2.0, 3, rand=1.0) == 4.0
    assert delay(0.0, 0, rand=0.0) == LEAST_DELAY
    assert delay(1.0, 1000, rand=1.0) == MOST_DELAY


def test_over_limit_reschedules_without_failure_or_retry() -> None:
    counters = Counters()
    executor = Executor(get_settings(), counters, StillClock())
    body = {
        "class": f"{__name__}.BusyJob",
        "args": [],
        "jid": "j1",
        "queue": "q",
        "retry_count": 2,
        "enqueued_at": NOW - 5,
        "unique_digest": "b" * 64,
        "unique_for": 60,
    }
    raw = json.dumps(body).encode()
    decoded = executor.decode(raw)
    assert isinstance(decoded, tuple)
    payload, cls = decoded
    completion = executor.run(raw, payload, executor.prepare(payload, cls))
    assert completion.kind == "ack"
    zadd, publish = completion.writes  # no HSET of the job's, no unique release: still pending
    assert zadd[:2] == ("ZADD", "schedule")
    assert NOW + 2.0 <= float(zadd[2]) <= NOW + 2.5
    record = json.loads(zadd[3])
    assert record["retry_count"] == 2
    assert record["overrated"] == 1
    assert "enqueued_at" not in record
    assert "error_message" not in record
    assert publish[:2] == ("PUBLISH", "jobs:scheduled")
    assert counters.take() == (0, 0)  # neither processed nor failed
