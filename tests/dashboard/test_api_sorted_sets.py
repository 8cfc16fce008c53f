"""SortedJobSet against real Redis: pages, search, find by key, actions, bulk in batches."""

from __future__ import annotations

import json
import time

import pytest
import redis

from jobs.api import Action, SortedJobSet
from jobs.api.sorted_sets import parse_key
from tests.dashboard.seed import add, failed, job


def test_page_orders_by_score_both_ways(r: redis.Redis, app_redis: redis.Redis) -> None:
    for i in range(5):
        add(r, "retry", failed(args=[i]), score=1000 + i)
    retries = SortedJobSet(app_redis, "retry")
    assert retries.size() == 5
    oldest = retries.page(0, 3, newest_first=False)
    assert [rec.args[0] for rec in oldest.records] == [0, 1, 2]
    newest = retries.page(3, 3, newest_first=True)
    assert [rec.args[0] for rec in newest.records] == [1, 0]
    assert newest.total == 5


def test_search_finds_across_pages(r: redis.Redis, app_redis: redis.Redis) -> None:
    for i in range(60):
        add(r, "dead", failed(error_message=f"Timeout {i}" if i % 2 else "boom"), score=i)
    page = SortedJobSet(app_redis, "dead").page(0, 10, newest_first=True, query="timeout")
    assert page.total == 30
    assert [rec.error_message for rec in page.records][:2] == ["Timeout 59", "Timeout 57"]


def test_find_by_key_returns_the_exact_member(r: redis.Redis, app_redis: redis.Redis) -> None:
    first = failed(jid="aaa")
    add(r, "retry", first, score=1795374469.018523)
    add(r, "retry", failed(jid="bbb"), score=1795374469.018523)  # same score, other job
    found = SortedJobSet(app_redis, "retry").find(
        ["1795374469.018523-aaa", "nonsense", "1.0-zzz", "nan-aaa"]
    )
    assert [rec.jid for rec in found] == ["aaa"]
    assert json.loads(found[0].raw) == first


def test_parse_key() -> None:
    assert parse_key("1795374469.018523-abc") == (1795374469.018523, "abc")
    assert parse_key("1e-05-abc") == (1e-05, "abc")
    assert parse_key("-3.5-abc") == (-3.5, "abc")
    assert parse_key("abc") is None
    assert parse_key("x-abc") is None
    assert parse_key("1.0-") is None


def test_enqueue_moves_to_the_queue_once(r: redis.Redis, app_redis: redis.Redis) -> None:
    member = add(r, "retry", failed(queue="mailers"), score=5)
    retries = SortedJobSet(app_redis, "retry")
    records = retries.find([retries.page(0, 1, False).records[0].key])
    assert retries.apply(Action.ENQUEUE, records, time.time()) == 1
    assert retries.apply(Action.ENQUEUE, records, time.time()) == 0  # already moved
    assert r.zcard("retry") == 0
    assert r.llen("queue:mailers") == 1
    assert r.sismember("queues", "mailers")
    pushed = json.loads(r.lindex("queue:mailers", 0))
    assert pushed["jid"] == json.loads(member)["jid"]
    assert pushed["enqueued_at"] > 5


def test_kill_moves_to_dead_and_dead_cannot_be_killed(
    r: redis.Redis, app_redis: redis.Redis
) -> None:
    add(r, "schedule", job(), score=time.time() + 3600)
    scheduled = SortedJobSet(app_redis, "schedule")
    records = scheduled.page(0, 10, False).records
    assert scheduled.apply(Action.KILL, records, time.time()) == 1
    assert r.zcard("schedule") == 0
    assert r.zcard("dead") == 1
    dead = SortedJobSet(app_redis, "dead")
    assert dead.apply(Action.KILL, dead.page(0, 10, False).records, time.time()) == 0
    assert r.zcard("dead") == 1


def test_kill_of_unreadable_member_stores_a_readable_record(
    r: redis.Redis, app_redis: redis.Redis
) -> None:
    add(r, "retry", "not json at all", score=1)
    retries = SortedJobSet(app_redis, "retry")
    assert retries.apply(Action.KILL, retries.page(0, 1, False).records, time.time()) == 1
    (member,) = r.zrange("dead", 0, -1)
    assert json.loads(member)["error_class"] == "InvalidPayload"


def test_delete(r: redis.Redis, app_redis: redis.Redis) -> None:
    for i in range(3):
        add(r, "dead", failed(args=[i]), score=i)
    dead = SortedJobSet(app_redis, "dead")
    assert dead.apply(Action.DELETE, dead.page(0, 2, False).records, time.time()) == 2
    assert [json.loads(m)["args"] for m in r.zrange("dead", 0, -1)] == [[2]]


def test_apply_matching_only_touches_matches(r: redis.Redis, app_redis: redis.Redis) -> None:
    for i in range(50):
        add(r, "retry", failed(error_class="Timeout" if i < 20 else "KeyError"), score=i)
    result = SortedJobSet(app_redis, "retry").apply_matching(Action.KILL, "timeout", time.time())
    assert (result.done, result.examined, result.finished) == (20, 50, True)
    assert r.zcard("retry") == 30
    assert r.zcard("dead") == 20


def test_apply_matching_stops_at_the_time_budget(r: redis.Redis, app_redis: redis.Redis) -> None:
    r.zadd("dead", {json.dumps(failed(args=[i])): i for i in range(5000)})
    result = SortedJobSet(app_redis, "dead").apply_matching(
        Action.DELETE, "", time.time(), budget=0
    )
    assert not result.finished
    assert 0 < result.done < 5000
    assert r.zcard("dead") == 5000 - result.done


@pytest.mark.slow
def test_retry_all_of_100000_dead_jobs_in_batches(r: redis.Redis, app_redis: redis.Redis) -> None:
    pipe = r.pipeline(transaction=False)
    for start in range(0, 100_000, 10_000):
        pipe.zadd("dead", {json.dumps(failed(args=[i])): i for i in range(start, start + 10_000)})
    pipe.execute()
    started = time.monotonic()
    result = SortedJobSet(app_redis, "dead").apply_matching(Action.ENQUEUE, "", time.time())
    elapsed = time.monotonic() - started
    assert result.finished, result
    assert result.done == 100_000
    assert r.zcard("dead") == 0
    assert r.llen("queue:default") == 100_000
    assert elapsed < 20, f"took {elapsed:.1f} s"
