"""The reconciler: jobs in our own list that nothing holds go back, after the grace only."""

from __future__ import annotations

import json

import redis

from jobs.redis import keys
from jobs.worker.reconcile import Reconciler
from jobs.worker.recovery import Suspects
from tests.helpers import HandClock

NOW = 1_795_000_000.0
ME = "host:1:me"


def job(jid: str) -> bytes:
    return json.dumps({"class": "X", "args": [], "jid": jid, "queue": "low"}).encode()


def reconciler(client: redis.Redis, held: list[bytes], ticks: HandClock) -> Reconciler:
    return Reconciler(client, ME, lambda: held, Suspects(2.0, monotonic=ticks), max_recoveries=3)


def test_a_stray_goes_back_once_it_stayed_unheld_for_the_grace(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    ticks = HandClock(0.0)
    held = [job("running")]
    redis_client.lpush(keys.inprogress(ME), job("running"), job("stray"))
    check = reconciler(app_redis, held, ticks)
    assert check.check(NOW) == 0
    ticks.now = 1.9
    assert check.check(NOW) == 0
    ticks.now = 2.0
    assert check.check(NOW) == 1
    assert redis_client.lrange(keys.inprogress(ME), 0, -1) == [job("running")]
    [back] = [json.loads(m) for m in redis_client.lrange("queue:low", 0, -1)]
    assert (back["jid"], back["recoveries"]) == ("stray", 1)


def test_a_job_held_again_before_the_grace_ends_stays(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    ticks = HandClock(0.0)
    held: list[bytes] = []
    redis_client.lpush(keys.inprogress(ME), job("late-reply"))
    check = reconciler(app_redis, held, ticks)
    assert check.check(NOW) == 0
    held.append(job("late-reply"))  # the fetch reply reached its thread
    ticks.now = 10.0
    assert check.check(NOW) == 0
    held.clear()  # done and acked... but still listed: a new grace starts now
    assert check.check(NOW) == 0
    assert redis_client.llen(keys.inprogress(ME)) == 1


def test_each_unheld_copy_of_a_duplicate_goes_back(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    ticks = HandClock(0.0)
    redis_client.lpush(keys.inprogress(ME), job("twin"), job("twin"), job("twin"))
    check = reconciler(app_redis, [job("twin")], ticks)
    check.check(NOW)
    ticks.now = 5.0
    assert check.check(NOW) == 2
    assert redis_client.llen(keys.inprogress(ME)) == 1
    assert redis_client.llen("queue:low") == 2
