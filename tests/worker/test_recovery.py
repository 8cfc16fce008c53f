"""Recovery of jobs left in in-progress lists, on real Redis with a test clock for the grace."""

from __future__ import annotations

import json

import redis

from jobs.redis import keys
from jobs.worker.recovery import Suspects, push_back, recover_orphans, requeue_list, requeue_one

NOW = 1_795_000_000.0
LIST = keys.inprogress("host:1:abc")


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.at = 100.0

    def __call__(self) -> float:
        return self.at


def job(jid: str, queue: str = "low", **extra: object) -> bytes:
    body = {"class": "X", "args": [1], "jid": jid, "queue": queue, "bid": "kept", **extra}
    return json.dumps(body, separators=(",", ":")).encode()


def test_a_job_whose_worker_died_goes_back_to_the_head_of_its_queue_counted(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush("queue:low", job("waiting"))
    redis_client.lpush(LIST, job("a"))
    assert requeue_one(app_redis, LIST, job("a"), NOW, died=True, max_recoveries=3) == (1, 0)
    assert redis_client.llen(LIST) == 0
    head = json.loads(redis_client.rpop("queue:low") or b"")
    assert (head["jid"], head["recoveries"], head["bid"]) == ("a", 1, "kept")
    assert redis_client.sismember("queues", "low")


def test_a_job_we_did_not_run_goes_back_byte_for_byte_uncounted(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, job("a", recoveries=True))
    assert requeue_one(
        app_redis, LIST, job("a", recoveries=True), NOW, died=False, max_recoveries=3
    ) == (1, 0)
    assert redis_client.lrange("queue:low", 0, -1) == [job("a", recoveries=True)]


def test_a_boolean_recovery_count_counts_from_zero(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, job("a", recoveries=True))
    requeue_one(app_redis, LIST, job("a", recoveries=True), NOW, died=True, max_recoveries=3)
    assert json.loads(redis_client.lindex("queue:low", 0) or b"")["recoveries"] == 1


def test_a_poison_pill_goes_to_dead(redis_client: redis.Redis, app_redis: redis.Redis) -> None:
    redis_client.lpush(LIST, job("pill", recoveries=2))
    assert requeue_one(
        app_redis, LIST, job("pill", recoveries=2), NOW, died=True, max_recoveries=3
    ) == (0, 1)
    [(member, score)] = redis_client.zrange("dead", 0, -1, withscores=True)
    record = json.loads(member)
    assert score == NOW
    assert (record["error_class"], record["recoveries"], record["retry_count"]) == (
        "WorkerDied",
        3,
        0,
    )
    assert record["error_message"] == "worker died 3 times while running this job"
    assert redis_client.llen("queue:low") == 0


def test_unreadable_bytes_go_to_dead_as_a_readable_record(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, b'{"class":"X","jid":"j9","queue":"low"}')
    assert requeue_list(app_redis, LIST, NOW, died=True, max_recoveries=3) == (0, 1)
    record = json.loads(redis_client.zrange("dead", 0, -1)[0])
    assert (record["jid"], record["queue"], record["failed_at"]) == ("j9", "low", NOW)
    assert record["error_message"] == "payload has no 'args' list"


def test_nothing_moves_when_the_job_left_the_list(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    assert requeue_one(app_redis, LIST, job("gone"), NOW, died=True, max_recoveries=3) == (0, 0)
    assert push_back(app_redis, LIST, job("gone")) == 0
    assert redis_client.dbsize() == 0


def test_push_back_of_unreadable_bytes_keeps_them_for_the_worker_to_judge(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, b"garbage{")
    assert push_back(app_redis, LIST, b"garbage{") == 1
    assert redis_client.lrange("queue:default", 0, -1) == [b"garbage{"]


def test_orphans_are_recovered_only_after_the_grace(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    ticks = Ticks()
    suspects: Suspects[str] = Suspects(grace=5.0, monotonic=ticks)
    redis_client.sadd(keys.WORKERS, "host:1:abc", "me")
    redis_client.sadd(keys.PROCESSES, "host:1:abc")
    redis_client.lpush(LIST, job("a"), job("b"))
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 0
    ticks.at += 4.9
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 0
    assert redis_client.llen(LIST) == 2
    ticks.at += 0.1
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 2
    # It died holding two jobs: neither is blamed, both run alone next.
    assert redis_client.llen(keys.suspects("low")) == 2
    assert redis_client.smembers(keys.WORKERS) == {b"me"}
    assert redis_client.smembers(keys.PROCESSES) == set()


def test_a_heartbeat_that_comes_back_cancels_the_suspicion(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    ticks = Ticks()
    suspects: Suspects[str] = Suspects(grace=5.0, monotonic=ticks)
    redis_client.sadd(keys.WORKERS, "host:1:abc")
    redis_client.lpush(LIST, job("a"))
    recover_orphans(app_redis, "me", NOW, 3, suspects)
    redis_client.hset("host:1:abc", "beat", "1")
    ticks.at += 10
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 0
    redis_client.delete("host:1:abc")
    ticks.at += 1
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 0  # a new grace begins
    assert redis_client.llen(LIST) == 1


def test_suspects_confirm_at_once_without_grace() -> None:
    suspects: Suspects[str] = Suspects(0.0, monotonic=Ticks())
    assert suspects.confirmed("x")
