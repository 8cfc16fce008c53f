"""Moves between the sorted sets and the queues; dead-set trimming."""

from __future__ import annotations

import json
import time

import redis
from freezegun import freeze_time

from jobs.conf import get_settings
from jobs.exceptions import InvalidPayload
from jobs.moves import (
    kill,
    kill_call,
    killed,
    move_to_queues,
    retry,
    retry_commands,
    unreadable_record,
)
from jobs.redis.lane import Lane


def member(jid: str, queue: str = "default") -> str:
    return json.dumps({"class": "X", "args": [1], "jid": jid, "queue": queue})


@freeze_time("2026-11-22 12:00:00")
def test_kill_trims_by_age_and_size_in_the_same_step(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    now = time.time()
    settings = get_settings()
    old = now - settings.DEAD_TIMEOUT - 1
    redis_client.zadd("dead", {member("ancient"): old})
    redis_client.zadd(
        "dead", {member(f"d{i}"): now - 100 + i for i in range(settings.DEAD_MAX_JOBS)}
    )
    redis_client.zadd("retry", {member("victim"): now})
    result = kill(app_redis, "retry", "zset", [(member("victim"), member("victim"))], now)
    assert (result.moved, result.trimmed_by_age, result.trimmed_by_size) == (1, 1, 1)
    assert redis_client.zcard("dead") == settings.DEAD_MAX_JOBS
    assert redis_client.zscore("dead", member("victim")) == now
    assert redis_client.zscore("dead", member("d0")) is None  # the oldest went
    assert redis_client.zcard("retry") == 0


def test_kill_moves_each_member_at_most_once(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.zadd("retry", {member("once"): 1})
    first = kill(app_redis, "retry", "zset", [(member("once"), member("once"))], 10)
    second = kill(app_redis, "retry", "zset", [(member("once"), member("once"))], 10)
    assert (first.moved, second.moved) == (1, 0)
    assert redis_client.zcard("dead") == 1


def test_move_to_queues_routes_and_stamps(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.zadd("schedule", {member("a", "critical"): 1, member("b"): 2, "garbage{": 3})
    moved = move_to_queues(
        app_redis, "schedule", [member("a", "critical"), member("b"), "garbage{"], 50.0
    )
    assert moved == 2
    assert json.loads(redis_client.lindex("queue:critical", 0))["enqueued_at"] == 50.0
    assert json.loads(redis_client.lindex("queue:default", 0))["jid"] == "b"
    assert redis_client.smembers("queues") == {b"critical", b"default"}
    [dead] = [json.loads(m) for m in redis_client.zrange("dead", 0, -1)]
    assert dead["error_class"] == "InvalidPayload"
    assert dead["raw"] == "garbage{"
    assert move_to_queues(app_redis, "schedule", [member("b")], 60.0) == 0
    assert redis_client.llen("queue:default") == 1


def test_retry_by_hand_gives_the_retry_back(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    failed = json.dumps(
        {"class": "X", "args": [], "jid": "r", "queue": "default", "retry_count": 3}
    )
    redis_client.zadd("retry", {failed: 1})
    assert move_to_queues(app_redis, "retry", [failed], 5.0, by_hand=True) == 1
    assert json.loads(redis_client.lindex("queue:default", 0))["retry_count"] == 2


def test_retry_by_hand_leaves_a_count_that_is_no_integer_alone(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    failed = json.dumps({"class": "X", "args": [], "jid": "r", "retry_count": True})
    redis_client.zadd("retry", {failed: 1})
    assert move_to_queues(app_redis, "retry", [failed], 5.0, by_hand=True) == 1
    assert json.loads(redis_client.lindex("queue:default", 0))["retry_count"] is True


def test_retry_moves_a_failed_job_from_its_list_to_retry(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush("inprogress", member("a"), member("b"))
    record = json.dumps({**json.loads(member("a")), "retry_count": 0})
    retry(app_redis, "inprogress", member("a"), record, 77.0)
    assert redis_client.lrange("inprogress", 0, -1) == [member("b").encode()]
    assert redis_client.zrange("retry", 0, -1, withscores=True) == [(record.encode(), 77.0)]


def test_retry_commands_go_in_one_round_trip_of_a_lane(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    """As the worker's ack code sends them: MULTI, the move, EXEC, one write."""
    redis_client.lpush("inprogress", member("a"))
    lane = Lane(app_redis)
    try:
        replies = lane.call(
            [("MULTI",), *retry_commands("inprogress", member("a"), "R", 9.0), ("EXEC",)]
        )
    finally:
        lane.close()
    # LREM, ZADD, then PUBLISH (its reply: how many listeners heard it, any number here).
    assert replies[-1][:2] == [1, 1]
    assert len(replies[-1]) == 3
    assert redis_client.llen("inprogress") == 0
    assert redis_client.zscore("retry", "R") == 9.0


def test_kill_call_is_the_move_as_data(redis_client: redis.Redis, app_redis: redis.Redis) -> None:
    redis_client.lpush("inprogress", member("a"))
    call = kill_call("inprogress", "list", [(member("a"), "DEAD-A")], 12.0)
    assert (call.name, call.keys) == ("kill", ["inprogress", "dead"])
    result = killed(call.run(app_redis))
    assert (result.moved, result.trimmed_by_age, result.trimmed_by_size) == (1, 0, 0)
    assert redis_client.zscore("dead", "DEAD-A") == 12.0
    assert redis_client.llen("inprogress") == 0


def test_the_record_of_unreadable_bytes() -> None:
    record = unreadable_record(b'{"jid":"x1","queue":"low"}', InvalidPayload("no class"), 5.0)
    assert record["failed_at"] == 5.0
    assert (record["jid"], record["queue"], record["class"]) == ("x1", "low", "(unreadable)")
    assert (record["error_class"], record["error_message"]) == ("InvalidPayload", "no class")
