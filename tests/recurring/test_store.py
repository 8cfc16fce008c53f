"""The entry state in Redis and the Lua scripts behind it."""

from __future__ import annotations

import redis

from jobs.payload import loads
from jobs.recurring import store
from jobs.recurring.schedule import Entry, parse_entry
from tests.recurring.conftest import TICK

T0 = 1_800_000_000


def entry(**options: object) -> Entry:
    return parse_entry("e", {"every": "1s", "class": TICK, "args": ["x"], **options}, "UTC")


def claim(client: redis.Redis, item: Entry, tick: int) -> store.Claim:
    return store.claim(client, item, tick, item.payload(tick + 0.01, tick), tick + 0.01)


def test_claim_pushes_once_and_never_for_an_earlier_tick(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    item = entry(queue="rec")
    assert claim(app_redis, item, T0) is store.Claim.PUSHED
    assert claim(app_redis, item, T0) is store.Claim.TAKEN
    assert claim(app_redis, item, T0 - 1) is store.Claim.TAKEN
    assert claim(app_redis, item, T0 + 1) is store.Claim.PUSHED

    queued = [loads(raw) for raw in redis_client.lrange("queue:rec", 0, -1)]
    assert [job["recurring_tick"] for job in queued] == [T0 + 1, T0]
    assert redis_client.smembers("queues") == {b"rec"}
    state = store.read_states(app_redis, ["e"])["e"]
    assert (state.tick, state.jid, state.status, state.manual) == (
        T0 + 1,
        queued[0]["jid"],
        "enqueued",
        False,
    )
    assert state.enqueued_at == T0 + 1.01


def test_claim_while_disabled_moves_the_fence_and_pushes_nothing(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    assert claim(app_redis, entry(enabled=False), T0) is store.Claim.SKIPPED
    assert redis_client.llen("queue:default") == 0
    store.set_enabled(app_redis, "e", True)
    assert claim(app_redis, entry(enabled=False), T0) is store.Claim.TAKEN
    assert claim(app_redis, entry(enabled=False), T0 + 1) is store.Claim.PUSHED
    store.set_enabled(app_redis, "e", False)
    assert claim(app_redis, entry(), T0 + 2) is store.Claim.SKIPPED
    assert store.read_states(app_redis, ["e"])["e"].enabled is False


def test_push_records_a_manual_run_without_claiming_a_tick(app_redis: redis.Redis) -> None:
    item = entry()
    payload = item.payload(T0 + 0.5, None)
    store.push(app_redis, "e", payload, T0 + 0.5)
    state = store.read_states(app_redis, ["e"])["e"]
    assert (state.jid, state.manual, state.tick, state.status) == (
        payload["jid"],
        True,
        None,
        "enqueued",
    )
    assert claim(app_redis, item, T0) is store.Claim.PUSHED


def test_status_is_recorded_only_for_the_last_job(app_redis: redis.Redis) -> None:
    item = entry()
    claim(app_redis, item, T0)
    jid = store.read_states(app_redis, ["e"])["e"].jid
    assert jid is not None
    assert store.record_status(app_redis, "e", jid, "running", T0 + 1)
    assert not store.record_status(app_redis, "e", "0" * 24, "dead", T0 + 2)
    state = store.read_states(app_redis, ["e"])["e"]
    assert (state.status, state.status_at) == ("running", T0 + 1)


def test_unknown_entries_read_as_empty(app_redis: redis.Redis) -> None:
    assert store.read_states(app_redis, ["x"]) == {"x": store.EntryState()}
    assert store.last_ticks(app_redis, ["x", "y"]) == {"x": None, "y": None}
    assert store.state_key("a b") == "jobs:recurring:entry:a b"
