"""The supply's solo mode (jobs/worker/solo.py) on real Redis: suspects run alone.

Test threads play processor threads through their Hands, as in test_supply.py; the
heartbeat's report is `supply.solo.seen(n)`, or a real beat. Real worker processes
cover the same paths end to end (test_failures.py, tests/reliability/test_poison.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from jobs.completion import Completion
from jobs.payload import dumps, loads
from jobs.queue_order import QueueOrder
from jobs.redis import keys
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.worker.heartbeat import Heartbeat, process_info
from jobs.worker.solo import SOLO_BACKOFF, SOLO_PATIENCE
from jobs.worker.stats import Counters
from jobs.worker.supply import Hand, JobSupply
from tests.helpers import HandClock, wait_for
from tests.worker.test_heartbeat import Idle

IDENTITY = "host:1:solo"
INPROGRESS = keys.inprogress(IDENTITY)
MARKER = keys.solo(IDENTITY)

Make = Callable[..., JobSupply]


def job(name: str, queue: str = "default") -> bytes:
    return dumps({"class": "X", "args": [], "jid": name, "queue": queue}).encode()


def jid(raw: bytes | None) -> str:
    assert raw is not None
    return str(loads(raw)["jid"])


def suspect(client: redis.Redis, *names: str, queue: str = "default") -> None:
    for name in names:
        client.lpush(keys.suspects(queue), job(name, queue))


@pytest.fixture
def make(app_redis: redis.Redis, redis_url: str) -> Iterator[Make]:
    made: list[JobSupply] = []

    def make_supply(*queues: str, now: Callable[[], float] | None = None) -> JobSupply:
        order = QueueOrder.from_entries(list(queues) or ["default"])
        extra = {"now": now} if now is not None else {}
        supply = JobSupply(app_redis, redis_url, IDENTITY, order, RedisHealth("t"), **extra)
        supply.start()
        made.append(supply)
        return supply

    yield make_supply
    for supply in made:
        supply.quiet()
        supply.close()


def test_suspects_run_one_at_a_time_named_in_the_marker_then_the_queues_again(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make("default")
    redis_client.lpush(keys.queue("default"), job("normal"))
    suspect(redis_client, "s1", "s2")
    suspect(redis_client, "other-queue", queue="low")  # not ours: another worker's to run
    hand = supply.hand()
    supply.solo.seen(2)
    first = hand.next(None)
    assert jid(first) == "s1"
    assert redis_client.lrange(INPROGRESS, 0, -1) == [first]
    assert redis_client.lrange(MARKER, 0, -1) == [first], "named while it runs alone"
    assert first is not None
    second = hand.next(Completion(first), 0.001)
    assert jid(second) == "s2"
    assert redis_client.lrange(MARKER, 0, -1) == [second]
    assert redis_client.lrange(INPROGRESS, 0, -1) == [second], "s1 acked before s2 came"
    assert second is not None
    assert hand.next(Completion(second), 0.001) is None  # none left: the turn ends
    assert not redis_client.exists(MARKER)
    assert not supply.solo.wanted
    assert jid(hand.next(None)) == "normal"
    assert redis_client.llen(keys.suspects("low")) == 1


def test_a_turn_waits_until_no_other_thread_holds_a_job(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make("default")
    redis_client.lpush(keys.queue("default"), job("a"), job("b"), job("c"))
    suspect(redis_client, "s")
    busy = supply.hand()
    running = busy.next(None)
    assert jid(running) == "a"
    assert running is not None
    supply.solo.seen(1)
    with ThreadPoolExecutor(1) as pool:
        # Another thread: it may not fetch from the queue, nor take the suspect yet.
        waited = pool.submit(lambda: until_the_turn_ends(supply, supply.hand(), None))
        wait_for(lambda: idle_hands(supply) == 1, 5, what="the other thread to wait")
        assert supply.solo.runner is None
        assert not waited.done()
        assert redis_client.llen(keys.queue("default")) == 2, "nothing fetched meanwhile"
        # The busy thread finishes its job: now one of the two runs the suspect.
        mine = until_the_turn_ends(supply, busy, Completion(running))
        theirs = waited.result(10)
    assert sorted([len(mine), len(theirs)]) == [0, 1], "exactly one thread ran it"
    [(suspect_run, listed)] = mine + theirs
    assert jid(suspect_run) == "s"
    assert listed == [suspect_run], "it ran alone: the finished job was acked first"
    assert redis_client.llen(keys.queue("default")) == 2


def until_the_turn_ends(
    supply: JobSupply, hand: Hand, finished: Completion | None
) -> list[tuple[bytes, list[bytes]]]:
    """Play a thread until the solo turn ends: each suspect it ran, and our list meanwhile."""
    ran: list[tuple[bytes, list[bytes]]] = []
    while True:
        raw = hand.next(finished, 0.001)
        if raw is None:
            if not supply.solo.wanted:
                return ran
            finished = None
            continue
        ran.append((raw, list(supply.solo.client.lrange(INPROGRESS, 0, -1))))
        finished = Completion(raw)


def first_job(supply: JobSupply) -> tuple[Hand, bytes | None]:
    """A thread's first call, repeated while it returns nothing and the turn is wanted."""
    hand = supply.hand()
    raw = hand.next(None)
    while raw is None and supply.solo.wanted and supply.solo.runner is None:
        raw = hand.next(None)
    return hand, raw


def idle_hands(supply: JobSupply) -> int:
    return sum(hand.idle for hand in list(supply._hand_of.values()))


def test_a_drain_that_finds_no_quiet_moment_gives_up_and_backs_off(
    redis_client: redis.Redis, make: Make
) -> None:
    ticks = HandClock()
    supply = make("default", now=ticks)
    redis_client.lpush(keys.queue("default"), job("long"), job("next"))
    suspect(redis_client, "s")
    busy = supply.hand()
    assert jid(busy.next(None)) == "long"  # a long job: it holds on
    supply.solo.seen(1)
    with ThreadPoolExecutor(1) as pool:
        waited = pool.submit(lambda: supply.hand().next(None))
        wait_for(lambda: idle_hands(supply) == 1, 5, what="the other thread to wait")
        ticks.now += SOLO_PATIENCE
        assert waited.result(10) is None
    assert not supply.solo.wanted
    supply.solo.seen(1)
    assert not supply.solo.wanted, "suspects ignored for a while"
    ticks.now += SOLO_BACKOFF
    supply.solo.seen(1)
    assert supply.solo.wanted
    assert redis_client.llen(keys.suspects("default")) == 1


def test_a_solo_job_the_watchdog_gave_up_on_ends_its_turn(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make("default")
    suspect(redis_client, "stuck", "s2")
    supply.solo.seen(2)
    stuck = supply.hand().next(None)
    assert jid(stuck) == "stuck"
    assert stuck is not None
    supply.complete(Completion(stuck, "retry", "record", 5.0))  # the watchdog's report
    assert supply.solo.runner is None
    # Another thread need not wait for the stuck one: it takes the next suspect.
    assert jid(first_job(supply)[1]) == "s2"


def test_quiet_ends_the_wait_and_the_threads_exit(redis_client: redis.Redis, make: Make) -> None:
    supply = make("default")
    redis_client.lpush(keys.queue("default"), job("a"))
    busy = supply.hand()
    assert busy.next(None) is not None
    supply.solo.seen(1)
    with ThreadPoolExecutor(1) as pool:
        waited = pool.submit(lambda: supply.hand().next(None))
        wait_for(lambda: idle_hands(supply) == 1, 5, what="the other thread to wait")
        supply.quiet()
        assert waited.result(5) is None
    assert supply.exhausted


def test_the_heartbeat_reports_the_suspects_of_our_queues(
    redis_client: redis.Redis, app_redis: redis.Redis, make: Make
) -> None:
    supply = make("default", "low")
    info = process_info(IDENTITY, "t", 2, QueueOrder.from_entries(["default", "low"]))
    beat = Heartbeat(app_redis, IDENTITY, info, Idle(), Counters(), Clock(), 5, solo=supply.solo)
    redis_client.lpush(keys.process_signals(IDENTITY), "TSTP")
    assert beat.beat() == "TSTP", "the signal is still read"
    assert not supply.solo.wanted
    suspect(redis_client, "s", queue="low")
    assert beat.beat() is None
    assert supply.solo.wanted


def test_a_suspect_whose_fetch_reply_was_lost_is_handed_out_again(
    redis_client: redis.Redis, make: Make
) -> None:
    supply = make("default")
    suspect(redis_client, "lost", "next")
    lost = job("lost")
    # As if a solo fetch ran in Redis but its reply never came back: moved and named.
    redis_client.rpop(keys.suspects("default"))
    redis_client.lpush(INPROGRESS, lost)
    redis_client.lpush(MARKER, lost)
    supply.solo.seen(1)
    hand = supply.hand()
    assert hand.next(None) == lost, "it never ran: it runs now, alone and still named"
    assert redis_client.lrange(MARKER, 0, -1) == [lost]
    assert redis_client.lrange(INPROGRESS, 0, -1) == [lost]
    assert jid(hand.next(Completion(lost), 0.001)) == "next"
