"""The acker (jobs/worker/acker.py): acks, moves to retry and dead, and the writes that go with them.

Unit tests drive an Acker on real Redis as the application's user; the last tests run a
real worker and watch that a job's writes appear exactly when it leaves the in-progress list.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest
import redis

from jobs.completion import Completion, Kind
from jobs.redis import keys
from jobs.runtime.health import RedisHealth
from jobs.worker.acker import Acker, ack_command
from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.testapp.jobs import WriteWithAckJob

IDENTITY = "host:1:acker"
INPROGRESS = keys.inprogress(IDENTITY)


def job(n: int) -> bytes:
    return json.dumps({"class": "X", "args": [n], "jid": f"j{n}", "queue": "default"}).encode()


@pytest.fixture
def acker(app_redis: redis.Redis) -> Iterator[Acker]:
    acker = Acker(app_redis, IDENTITY, RedisHealth("test"))
    acker.start()
    yield acker
    acker.stop(5.0)


def in_progress(client: redis.Redis, *raws: bytes) -> None:
    client.lpush(INPROGRESS, *raws)


def test_ack_command_is_one_lrem_of_the_job() -> None:
    assert ack_command(INPROGRESS, b"x") == ("LREM", INPROGRESS, 1, b"x")


def test_plain_acks_leave_the_in_progress_list(redis_client: redis.Redis, acker: Acker) -> None:
    in_progress(redis_client, job(1), job(2), job(3))
    for n in (1, 3):
        acker.submit(Completion(job(n)))
    assert acker.flush(5.0)
    assert redis_client.lrange(INPROGRESS, 0, -1) == [job(2)]


def test_retry_and_dead_are_moves(redis_client: redis.Redis, acker: Acker) -> None:
    in_progress(redis_client, job(1), job(2))
    acker.submit(Completion(job(1), "retry", "retry-record", 1000.0))
    acker.submit(Completion(job(2), "dead", "dead-record", 2000.0))
    assert acker.flush(5.0)
    assert redis_client.llen(INPROGRESS) == 0
    assert redis_client.zrange(keys.RETRY, 0, -1, withscores=True) == [(b"retry-record", 1000.0)]
    assert redis_client.zrange(keys.DEAD, 0, -1, withscores=True) == [(b"dead-record", 2000.0)]


def test_held_lists_completions_not_yet_written(app_redis: redis.Redis) -> None:
    acker = Acker(app_redis, IDENTITY, RedisHealth("test"))  # not started: nothing is written
    acker.submit(Completion(job(1)))
    acker.submit(Completion(job(2), "retry", "r", 1.0))
    assert acker.held() == [job(1), job(2)]
    assert not acker.flush(0.05)


def test_writes_go_with_each_kind_of_completion(redis_client: redis.Redis, acker: Acker) -> None:
    in_progress(redis_client, job(1), job(2), job(3))
    redis_client.script_flush()  # the dead move's script must survive a forgetful Redis
    acker.submit(Completion(job(1), writes=(("HSET", "r:1", "status", "ok"),)))
    acker.submit(Completion(job(2), "retry", "rec", 5.0, (("HSET", "r:2", "status", "retry"),)))
    writes = (("HSET", "r:3", "status", "dead"), ("EXPIRE", "r:3", 600))
    acker.submit(Completion(job(3), "dead", "dead-rec", 6.0, writes))
    assert acker.flush(5.0)
    assert redis_client.llen(INPROGRESS) == 0
    assert [redis_client.hget(f"r:{n}", "status") for n in (1, 2, 3)] == [b"ok", b"retry", b"dead"]
    assert 0 < redis_client.ttl("r:3") <= 600
    assert redis_client.zscore(keys.RETRY, "rec") == 5.0
    assert redis_client.zscore(keys.DEAD, "dead-rec") == 6.0


def test_acks_with_and_without_writes_go_together_without_multi(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    in_progress(redis_client, job(1), job(2), job(3))
    acker = Acker(app_redis, IDENTITY, RedisHealth("test"))
    acker.submit(Completion(job(1)))
    acker.submit(Completion(job(2), writes=(("HSET", "r:2", "n", 2),)))
    acker.submit(Completion(job(3)))
    before = _calls(redis_client, "exec")
    acker.start()
    try:
        assert acker.flush(5.0)
    finally:
        acker.stop(5.0)
    assert redis_client.llen(INPROGRESS) == 0
    assert redis_client.hget("r:2", "n") == b"2"
    assert _calls(redis_client, "exec") == before, "acks and their writes need no MULTI"


def test_a_refused_write_costs_only_its_own_writes(
    redis_client: redis.Redis, acker: Acker, caplog: pytest.LogCaptureFixture
) -> None:
    in_progress(redis_client, job(1), job(2), job(3))
    acker.submit(Completion(job(1), writes=(("HSET", "r:1", "n", 1),)))
    acker.submit(Completion(job(2), writes=(("HSET", "r:2"),)))  # wrong arity: MULTI aborts
    acker.submit(Completion(job(3), writes=(("HSET", "r:3", "n", 3),)))
    with caplog.at_level(logging.ERROR, "jobs.worker"):
        assert acker.flush(5.0)
    assert redis_client.llen(INPROGRESS) == 0
    assert redis_client.hget("r:1", "n") == b"1"
    assert redis_client.exists("r:2") == 0
    assert redis_client.hget("r:3", "n") == b"3"
    assert "acknowledging the job without it" in caplog.text


@pytest.mark.parametrize("kind", ["retry", "dead"])
def test_a_move_whose_writes_redis_refuses_is_made_without_them(
    redis_client: redis.Redis, acker: Acker, caplog: pytest.LogCaptureFixture, kind: Kind
) -> None:
    in_progress(redis_client, job(1))
    completion = Completion(job(1), kind, "record", 7.0, (("HSET", "r:1"),))  # wrong arity
    with caplog.at_level(logging.ERROR, "jobs.worker"):
        acker.submit(completion)
        assert acker.flush(5.0)
    assert redis_client.llen(INPROGRESS) == 0
    assert redis_client.zscore(keys.RETRY if kind == "retry" else keys.DEAD, "record") == 7.0
    assert "moving the job without them" in caplog.text


def test_a_write_failing_in_redis_is_logged(
    redis_client: redis.Redis, acker: Acker, caplog: pytest.LogCaptureFixture
) -> None:
    in_progress(redis_client, job(1))
    redis_client.rpush("a-list", "x")
    writes = (("HSET", "a-list", "n", 1), ("HSET", "r:1", "n", 1))  # the first: WRONGTYPE
    acker.submit(Completion(job(1), writes=writes))
    with caplog.at_level(logging.ERROR, "jobs.worker"):
        assert acker.flush(5.0)
    assert redis_client.llen(INPROGRESS) == 0
    assert redis_client.hget("r:1", "n") == b"1"
    assert "WRONGTYPE" in caplog.text


def _calls(client: redis.Redis, command: str) -> int:
    stats = client.info("commandstats").get(f"cmdstat_{command}", {})
    return int(stats.get("calls", 0))


# A real worker: the job's writes exist exactly when it has left the in-progress list.


def _watch(client: redis.Redis, identity: str, key: str, where: str) -> None:
    """Sample (in progress, in `where`, writes done) atomically until the writes land."""
    inprogress = keys.inprogress(identity)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pipe = client.pipeline(transaction=True)
        pipe.llen(inprogress)
        pipe.zcard(where or "no-set")
        pipe.exists(key)
        running, moved, written = pipe.execute()
        assert bool(written) == (running == 0), (running, written)
        if where:
            assert bool(written) == (moved == 1), (moved, written)
        if written:
            return
    raise AssertionError(f"the job's writes to {key} never appeared")


@pytest.mark.parametrize(
    ("outcome", "options", "where"),
    [
        ("ok", {}, ""),
        ("discard", {}, ""),
        ("retry", {}, keys.RETRY),
        ("dead", {"retry": 0}, keys.DEAD),
        ("drop", {"retry": False}, ""),
    ],
)
def test_writes_appear_exactly_when_the_job_leaves_in_progress(
    redis_client: redis.Redis,
    start_worker: WorkerFactory,
    outcome: str,
    options: dict[str, object],
    where: str,
) -> None:
    worker = start_worker("-c", "2", "-q", "default")
    identity = worker.wait_ready()
    key = f"result:{outcome}"
    WriteWithAckJob.set(**options).perform_async(key, outcome)
    wait_for(lambda: redis_client.llen("ledger:started") == 1, 15, what="the job to start")
    assert redis_client.llen(keys.inprogress(identity)) == 1
    assert redis_client.exists(key) == 0
    redis_client.set(f"{key}:go", 1)
    _watch(redis_client, identity, key, where)
    assert redis_client.hget(key, "outcome") == outcome.encode()
    assert 0 < redis_client.ttl(key) <= 86400
    assert worker.stop() == 0


def test_history_goes_with_acks_and_moves_and_never_holds_an_ack_back(
    redis_client: redis.Redis, acker: Acker, caplog: pytest.LogCaptureFixture
) -> None:
    in_progress(redis_client, job(1), job(2), job(3), job(4))
    acker.submit(Completion(job(1), history=(("SET", "h:1", "ran", "EX", 60),)))
    acker.submit(Completion(job(2), "retry", "retry-record", 1000.0, (), (("RPUSH", "h:2", "r"),)))
    acker.submit(Completion(job(3), "dead", "dead-record", 2000.0, (), (("RPUSH", "h:3", "d"),)))
    assert acker.flush(5.0)
    assert redis_client.get("h:1") == b"ran"
    assert redis_client.lrange("h:2", 0, -1) == [b"r"]
    assert redis_client.lrange("h:3", 0, -1) == [b"d"]
    assert redis_client.zscore("retry", "retry-record") == 1000.0
    assert redis_client.zscore("dead", "dead-record") == 2000.0
    with caplog.at_level(logging.WARNING, logger="jobs.worker"):
        acker.submit(Completion(job(4), history=(("SET", "h:4"),)))  # refused by Redis
        assert acker.flush(5.0)
    assert redis_client.lrange(INPROGRESS, 0, -1) == []  # acknowledged all the same
    assert "Redis refused a write that goes with a finished job" in caplog.text
