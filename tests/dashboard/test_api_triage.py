"""Failure triage (jobs/api/triage.py): signatures, bounded grouping, exact group actions."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis

from jobs.api import Action, SortedJobSet
from jobs.api.records import JobRecord
from jobs.api.triage import SCAN_LIMIT, act_on_group, group_failures, group_id, mask, signature
from tests.dashboard.seed import add, failed


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("timeout after 30.5 s on try 3", "timeout after <n> s on try <n>"),
        ("user 3f2a9c1e-1b2c-4d5e-8f90-0123456789ab not found", "user <uuid> not found"),
        ("cannot reach 10.0.3.17:5432", "cannot reach <ip>"),
        ("cannot reach db.internal:5432 (pool 7)", "cannot reach <host:port> (pool <n>)"),
        ("bounced: Ann.Lee+x@mail.example.com", "bounced: <email>"),
        ("object at 0x7f3a9c2e10 gone, sha deadbeef42", "object at <hex> gone, sha <hex>"),
        ("[fe80::1]:8080 refused", "<ip> refused"),
        ("plain words stay", "plain words stay"),
    ],
)
def test_what_varies_is_masked(message: str, masked: str) -> None:
    assert mask(message) == masked


def test_signature_is_class_and_masked_message_and_bounded() -> None:
    record = JobRecord(json.dumps(failed(error_class="IOError", error_message="x" * 10_000 + " 5")))
    error_class, message = signature(record)
    assert error_class == "IOError"
    assert len(message) == 500
    assert signature(JobRecord(b"\xff not json"))[0] == "(unreadable)"


def connection_error(i: int, now: float, **extra: Any) -> dict[str, Any]:
    return failed(
        error_class="ConnectionError",
        error_message=f"connect to 10.0.{i % 250}.{i % 200}:5432 failed after {i} ms",
        failed_at=now - 7200,
        retried_at=now - 30 * (i % 3),
        **extra,
    )


def key_error(i: int, now: float) -> dict[str, Any]:
    return failed(error_class="KeyError", error_message=f"'user-{i}'", failed_at=now - 3 * 86400)


def test_groups_count_by_window_and_sort_by_size(
    app_redis: redis.Redis, redis_client: redis.Redis
) -> None:
    now = time.time()
    for i in range(6):
        add(redis_client, "retry", connection_error(i, now), now + i)
    for i in range(4):
        add(redis_client, "retry", key_error(i, now), now + 10 + i)
    triage = group_failures(SortedJobSet(app_redis, "retry"), now)
    assert (triage.scanned, triage.total, triage.partial) == (10, 10, False)
    first, second = triage.groups
    assert (first.error_class, first.message) == (
        "ConnectionError",
        "connect to <ip> failed after <n> ms",
    )
    assert (first.count, first.last_hour, first.last_day, first.last_week) == (6, 6, 6, 6)
    assert (second.error_class, second.count, second.last_hour, second.last_day) == (
        "KeyError",
        4,
        0,
        0,
    )
    assert second.last_week == 4
    assert first.id == group_id("ConnectionError", "connect to <ip> failed after <n> ms")


def test_a_group_action_takes_exactly_the_groups_members_in_the_bound(
    app_redis: redis.Redis, redis_client: redis.Redis
) -> None:
    now = time.time()
    for i in range(20):
        add(redis_client, "retry", connection_error(i, now), 1000 + i)  # ranks by score
    for i in range(10):
        add(redis_client, "retry", key_error(i, now), 1005.5 + i)
    jobs = SortedJobSet(app_redis, "retry")
    [group] = [
        g for g in group_failures(jobs, now, limit=15).groups if g.error_class == "ConnectionError"
    ]
    assert group.count == 10  # newest 15: scores 1010..1019 and KeyErrors 1010.5..1014.5
    # Meanwhile one of them is retried by the poller: it is no longer there to act on.
    newest = jobs.range(0, 1, newest_first=True)[0]
    redis_client.zrem("retry", newest.raw)
    # The newest 15 now reach 1009.5 (a KeyError): 9 of the group are in the bound.
    assert act_on_group(jobs, Action.DELETE, group.id, now, limit=15) == 9
    left = [JobRecord(m) for m in redis_client.zrange("retry", 0, -1)]
    assert sum(1 for r in left if r.error_class == "KeyError") == 10  # other groups untouched
    assert sum(1 for r in left if r.error_class == "ConnectionError") == 10  # older ones kept


def test_retry_and_kill_a_group(app_redis: redis.Redis, redis_client: redis.Redis) -> None:
    now = time.time()
    for i in range(3):
        add(redis_client, "retry", connection_error(i, now, queue="low"), now + 100 + i)
        add(redis_client, "retry", key_error(i, now), now + 200 + i)
    jobs = SortedJobSet(app_redis, "retry")
    gid = group_id("ConnectionError", "connect to <ip> failed after <n> ms")
    assert act_on_group(jobs, Action.ENQUEUE, gid, now) == 3
    assert redis_client.llen("queue:low") == 3
    assert act_on_group(jobs, Action.KILL, group_id("KeyError", "'user-<n>'"), now) == 3
    assert (redis_client.zcard("retry"), redis_client.zcard("dead")) == (0, 3)
    assert act_on_group(jobs, Action.DELETE, "0" * 16, now) == 0


def test_a_set_of_100000_is_grouped_in_bounded_work(
    app_redis: redis.Redis, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    pipe = redis_client.pipeline(transaction=False)
    for i in range(100_000):
        pipe.zadd("dead", {json.dumps(connection_error(i, now) if i % 2 else key_error(i, now)): i})
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    returned: list[int] = []
    original = SortedJobSet.range

    def counting(self: SortedJobSet, start: int, count: int, newest_first: bool) -> list[JobRecord]:
        rows = original(self, start, count, newest_first)
        returned.append(len(rows))
        return rows

    monkeypatch.setattr(SortedJobSet, "range", counting)
    redis_client.config_resetstat()
    triage = group_failures(SortedJobSet(app_redis, "dead"), now)
    stats = redis_client.info("commandstats")
    calls = sum(
        stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("zrange", "zrevrange")
    )
    assert (triage.scanned, triage.total) == (SCAN_LIMIT, 100_000)
    assert sum(returned) == SCAN_LIMIT
    assert calls == len(returned) == SCAN_LIMIT // 1000
    assert sum(g.count for g in triage.groups) == SCAN_LIMIT
