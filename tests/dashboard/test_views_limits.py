"""The Limits page: each limiter's use now and how often it said no."""

from __future__ import annotations

import pytest
import redis
from django.test import Client

from jobs.limits import OverLimit, bucket, concurrent, window
from jobs.limits.usage import limiters, parse_meta


def test_limits_page_shows_use_and_refusals(
    staff_client: Client, r: redis.Redis, app_redis: redis.Redis
) -> None:
    stripe = concurrent("stripe", 2, lock_timeout=30, client=app_redis)
    crm = window("crm <b>", 100, per=60, client=app_redis)
    mail = bucket("mail", 4, per=1, client=app_redis)
    stripe.take()
    stripe.take()
    with pytest.raises(OverLimit):
        stripe.take()
    crm.take()
    mail.take()
    body = staff_client.get("/admin/jobs/limits/").content.decode()
    assert "stripe" in body
    assert "at most 2 at once" in body
    assert "2 / 2" in body
    assert "(33%)" in body  # 1 no of 3 asks
    assert "crm &lt;b&gt;" in body  # escaped
    assert "at most 100 in any 60 s" in body
    assert "bucket of 4" in body
    [use] = [u for u in limiters(app_redis) if u.name == "stripe"]
    assert (use.in_use, use.allowed, use.refused) == (2, 2, 1)


def test_limits_page_empty(staff_client: Client, r: redis.Redis) -> None:
    assert (
        "No limiter has been used yet" in staff_client.get("/admin/jobs/limits/").content.decode()
    )


def test_hostile_entries_are_skipped(staff_client: Client, r: redis.Redis) -> None:
    r.zadd("jobs:limits:seen", {"evil": 1.0, "odd": 2.0})
    r.hset("jobs:limits:meta", mapping={"evil": "concurrent x 1", "odd": "window 3 nan"})
    r.hset("jobs:limits:stats", "odd|no", "lots")
    assert staff_client.get("/admin/jobs/limits/").status_code == 200
    assert limiters(r) == []
    assert parse_meta(b"bucket 5 0.5") == ("bucket", 5, 0.5)
    assert parse_meta(b"bucket -5 1") is None
