"""Queue and queue summaries against real Redis."""

from __future__ import annotations

import json
import time

import pytest
import redis

from jobs.api import Queue, summaries
from jobs.api.queues import latency_of, valid_name
from tests.dashboard.seed import job, push


def test_summaries_include_configured_and_known_queues(
    r: redis.Redis, app_redis: redis.Redis
) -> None:
    push(r, "default", job(enqueued_at=time.time() - 30))
    push(r, "default", job())
    push(r, "ruby", job(queue="ruby"))
    found = {q.name: q for q in summaries(app_redis, time.time(), ["critical"])}
    assert set(found) == {"default", "ruby", "critical"}
    assert found["default"].size == 2
    assert 29 < found["default"].latency < 40  # the oldest job, at the right end
    assert found["critical"].size == 0
    assert found["critical"].latency == 0


def test_latency_reads_sidekiq8_milliseconds_and_garbage() -> None:
    now = time.time()
    assert 9 < latency_of(json.dumps(job(enqueued_at=int((now - 10) * 1000))).encode(), now) < 11
    assert latency_of(b"garbage", now) == 0
    assert latency_of(None, now) == 0


def test_page_in_both_orders(r: redis.Redis, app_redis: redis.Redis) -> None:
    for i in range(10):
        push(r, "default", job(args=[i]))
    queue = Queue(app_redis, "default")
    assert [rec.args[0] for rec in queue.page(0, 3, newest_first=False).records] == [0, 1, 2]
    assert [rec.args[0] for rec in queue.page(0, 3, newest_first=True).records] == [9, 8, 7]
    assert [rec.args[0] for rec in queue.page(9, 3, newest_first=False).records] == [9]


def test_delete_one_job(r: redis.Redis, app_redis: redis.Redis) -> None:
    target = job(args=["target"])
    push(r, "default", job())
    push(r, "default", target)
    push(r, "default", "garbage")
    queue = Queue(app_redis, "default")
    assert queue.delete(target["jid"])
    assert not queue.delete(target["jid"])
    garbage_id = next(rec.id for rec in queue.page(0, 10, False).records if not rec.ok)
    assert queue.delete(garbage_id)
    assert r.llen("queue:default") == 1


def test_clear_removes_the_list_and_the_name(r: redis.Redis, app_redis: redis.Redis) -> None:
    for _ in range(3):
        push(r, "low", job(queue="low"))
    assert Queue(app_redis, "low").clear() == 3
    assert not r.exists("queue:low")
    assert not r.sismember("queues", "low")


def test_names_are_validated() -> None:
    assert valid_name("default")
    assert valid_name("a/b c")
    assert not valid_name("")
    assert not valid_name("a\nb")
    assert not valid_name("x" * 201)
    with pytest.raises(ValueError, match="invalid queue name"):
        Queue(redis.Redis(), "")
