"""The job supply (jobs/worker/supply.py) on real Redis: fetch, prefetch ramp, giving back, ack routes.

The test thread plays a processor thread through its Hand; the monotonic clock of the
buffer is the test's. Real worker processes cover the same paths end to end
(test_prefetch.py, test_delivery.py, tests/reliability).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import redis

from jobs.completion import Completion
from jobs.payload import dumps, loads
from jobs.queue_order import QueueOrder
from jobs.redis import keys
from jobs.redis.connection import make_client
from jobs.runtime.health import RedisHealth
from jobs.worker.supply import SHORT_JOB, STASH_MAX_WAIT, JobSupply, is_short
from tests.helpers import HandClock, free_port, wait_for

IDENTITY = "host:1:supply"
INPROGRESS = keys.inprogress(IDENTITY)
SHORT = SHORT_JOB / 10
LONG = SHORT_JOB * 10

Make = Callable[..., JobSupply]


def job(n: int, queue: str = "default") -> bytes:
    return dumps({"class": "X", "args": [n], "jid": f"j{n}", "queue": queue}).encode()


def jid(raw: bytes | None) -> str:
    assert raw is not None
    return str(loads(raw)["jid"])


def enqueue(client: redis.Redis, *numbers: int, queue: str = "default") -> None:
    for n in numbers:
        client.lpush(keys.queue(queue), job(n, queue))


def queued(client: redis.Redis, queue: str = "default") -> list[str]:
    """Jids in the queue, next to run first."""
    return [jid(raw) for raw in reversed(client.lrange(keys.queue(queue), 0, -1))]


def in_progress(client: redis.Redis) -> list[str]:
    return sorted(jid(raw) for raw in client.lrange(INPROGRESS, 0, -1))


@pytest.fixture
def make(app_redis: redis.Redis, redis_url: str) -> Iterator[Make]:
    made: list[JobSupply] = []

    def make_supply(
        *queues: str, client: redis.Redis = app_redis, now: Callable[[], float] | None = None
    ) -> JobSupply:
        order = QueueOrder.from_entries(list(queues) or ["default"])
        extra = {"now": now} if now is not None else {}
        supply = JobSupply(client, redis_url, IDENTITY, order, RedisHealth("test"), **extra)
        made.append(supply)
        return supply

    yield make_supply
    for supply in made:
        supply.quiet()
        supply.close()
        supply.give_back_unstarted(3.0)
        supply.stop(0.5)


def test_the_short_job_rule() -> None:
    assert is_short(SHORT)
    assert not is_short(SHORT_JOB)


def test_a_plain_ack_rides_the_next_fetch(redis_client: redis.Redis, make: Make) -> None:
    supply = make()
    supply.fetcher.start()  # the acker is not started: an ack sent to it would stay held
    enqueue(redis_client, 1, 2)
    hand = supply.hand()
    first = hand.next(None)
    assert jid(first) == "j1"
    assert in_progress(redis_client) == ["j1"]
    assert first is not None
    second = hand.next(Completion(first), SHORT)
    assert jid(second) == "j2"
    assert in_progress(redis_client) == ["j2"], "j1 acked in the round trip that fetched j2"
    assert supply.held() == [second]


def test_retries_go_to_the_acker_and_writes_ride_the_next_fetch(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make()
    supply.fetcher.start()
    enqueue(redis_client, 1, 2, 3)
    hand = supply.hand()
    one = hand.next(None)
    assert one is not None
    two = hand.next(Completion(one, "retry", "record", 5.0), SHORT)
    assert two is not None
    three = hand.next(Completion(two, writes=(("HSET", "r:2", "n", 2),)), SHORT)
    # j2's write and its ack went with the fetch of j3, in that order; j1's retry waits.
    assert redis_client.hget("r:2", "n") == b"2"
    assert in_progress(redis_client) == ["j1", "j3"]
    assert sorted(map(jid, supply.held())) == ["j1", "j3"]
    supply.acker.start()
    assert supply.acker.flush(5.0)
    assert in_progress(redis_client) == ["j3"]
    assert redis_client.zscore(keys.RETRY, "record") == 5.0
    assert supply.held() == [three]


def test_refused_writes_leave_the_ack_to_the_acker(
    redis_client: redis.Redis, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    supply = make()
    supply.fetcher.start()
    enqueue(redis_client, 1, 2)
    hand = supply.hand()
    one = hand.next(None)
    assert one is not None
    # HSET with a key and no field: Redis refuses it.
    assert hand.next(Completion(one, writes=(("HSET", "r:1"),)), SHORT) is None
    assert not supply.health.down, "a refused write is not an outage"
    supply.acker.start()
    assert supply.acker.flush(5.0)
    assert "j1" not in in_progress(redis_client), "acknowledged without its writes"
    assert not redis_client.exists("r:1")
    assert "write failed" in caplog.text


def test_prefetch_ramps_up_while_jobs_are_short_and_full(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make()
    supply.start()
    enqueue(redis_client, *range(1, 13))
    hand = supply.hand()
    took: float | None = None
    finished: Completion | None = None
    waiting: list[int] = []
    for _ in range(8):
        raw = hand.next(finished, took)
        assert raw is not None
        finished, took = Completion(raw), SHORT
        waiting.append(supply.waiting())
    # Fetches of 1 (no job yet), 1 (short now), 2, then 4: the extras wait in the buffer.
    assert waiting == [0, 0, 1, 0, 3, 2, 1, 0]
    raw = hand.next(finished, LONG)  # after a long job: one at a time again
    assert jid(raw) == "j9"
    assert supply.waiting() == 0
    assert hand.want == 1


def test_a_fetch_that_comes_back_short_resets_the_ramp(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make()
    supply.start()
    enqueue(redis_client, 1, 2, 3)
    hand = supply.hand()
    raws = [hand.next(None)]
    raws.append(hand.next(Completion(raws[-1] or b""), SHORT))  # asks 1, gets 1: want 2
    raws.append(hand.next(Completion(raws[-1] or b""), SHORT))  # asks 2, gets 1 (j3)
    assert [jid(raw) for raw in raws] == ["j1", "j2", "j3"]
    assert hand.want == 1


def test_extras_no_thread_takes_go_back_to_the_head_of_their_queue(
    redis_client: redis.Redis, make: Make
) -> None:
    clock = HandClock()
    supply = make(now=clock)
    supply.start()
    enqueue(redis_client, *range(1, 6))
    supply.buffer.stash([redis_client.rpop(keys.queue("default")) or b""])  # j1, as prefetched
    redis_client.lpush(INPROGRESS, job(1))
    supply.give_back_stale()
    clock.now += STASH_MAX_WAIT / 2
    supply.give_back_stale()
    assert supply.waiting() == 1, "not stale yet"
    clock.now += STASH_MAX_WAIT
    supply.give_back_stale()
    assert supply.waiting() == 0
    wait_for(lambda: queued(redis_client)[:1] == ["j1"], 5, what="j1 back at the head")
    assert in_progress(redis_client) == []


def test_an_idle_thread_gets_a_job_pushed_to_any_queue(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make("high", "low")
    supply.start()
    got: list[bytes] = []

    def idle_thread() -> None:
        hand = supply.hand()
        for _ in range(10):  # each wait in the buffer lasts 1 s
            raw = hand.next(None)
            if raw is not None:
                got.append(raw)
                return

    thread = threading.Thread(target=idle_thread, daemon=True)
    thread.start()
    wait_for(lambda: supply.buffer.wait_for_idle(0.01), 5, what="the thread to wait idle")
    enqueue(redis_client, 7, queue="low")
    thread.join(10)
    assert [jid(raw) for raw in got] == ["j7"]
    assert in_progress(redis_client) == ["j7"]


def test_quiet_gives_back_what_is_fetched_and_fetches_no_more(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make()
    supply.start()
    enqueue(redis_client, 1, 2, 3)
    hand = supply.hand()
    assert jid(hand.next(None)) == "j1"
    supply.buffer.stash([redis_client.rpop(keys.queue("default")) or b""])
    redis_client.lpush(INPROGRESS, job(2))
    supply.quiet()
    supply.give_back_unstarted(3.0)
    assert queued(redis_client) == ["j2", "j3"]
    supply.close()
    assert hand.next(None) is None
    assert supply.exhausted
    assert in_progress(redis_client) == ["j1"]
    hand.close(Completion(job(1)))
    assert supply.stop(5.0)
    assert in_progress(redis_client) == []


def test_a_failed_fetch_hands_the_acks_to_the_acker(make: Make) -> None:
    down = make_client(f"redis://127.0.0.1:{free_port()}/0")
    supply = make(client=down)
    supply.fetcher.fetching.set()
    hand = supply.hand()
    hand.done.append(Completion(job(1)))
    hand.want = 4
    assert hand.next(Completion(job(2)), SHORT) is None
    assert supply.health.down
    assert hand.want == 1
    assert sorted(jid(raw) for raw in supply.acker.held()) == ["j1", "j2"]
    assert sorted(jid(raw) for raw in supply.held()) == ["j1", "j2"]
    down.close()
