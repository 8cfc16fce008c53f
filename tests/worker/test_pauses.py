"""Paused queues in the job supply (jobs/worker/pauses.py, fetch.py) on real Redis.

The test thread plays a processor thread through its Hand; real workers are in
tests/flow/test_pause_workers.py.
"""

from __future__ import annotations

import threading

import redis

from jobs.api import Queue
from jobs.redis import keys
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.worker.hints import HintsListener
from jobs.worker.pauses import PauseWatch
from jobs.worker.wakeup import WakeUp
from tests.helpers import wait_for
from tests.worker import test_supply
from tests.worker.test_supply import Make, enqueue, in_progress, jid, queued

make = test_supply.make  # the fixture


def test_the_watch_sees_only_our_queues_and_follows_changes(app_redis: redis.Redis) -> None:
    watch = PauseWatch(app_redis, ("a", "b"))
    Queue(app_redis, "a").pause()
    Queue(app_redis, "elsewhere").pause()
    watch.refresh()
    assert watch.paused == {"a"}
    Queue(app_redis, "a").resume()
    watch.refresh()
    assert watch.paused == frozenset()


def test_a_paused_queue_is_skipped_and_the_others_fetched(
    app_redis: redis.Redis, make: Make
) -> None:
    enqueue(app_redis, 1, 2, queue="a")
    enqueue(app_redis, 3, queue="b")
    Queue(app_redis, "a").pause()
    supply = make("a", "b")
    supply.start()
    hand = supply.hand()
    assert jid(hand.next(None)) == "j3"
    assert queued(app_redis, "a") == ["j1", "j2"]
    Queue(app_redis, "a").resume()
    supply.fetcher.pauses.refresh()
    assert jid(hand.next(None)) == "j1"


def test_a_single_paused_queue_fetches_nothing_and_waits(
    app_redis: redis.Redis, make: Make
) -> None:
    enqueue(app_redis, 1)
    Queue(app_redis, "default").pause()
    supply = make("default")
    supply.start()
    assert supply.hand().next(None) is None  # waited for a change, fetched nothing
    assert queued(app_redis) == ["j1"]
    assert in_progress(app_redis) == []


def test_fetched_jobs_of_a_queue_paused_meanwhile_go_back_unstarted(
    app_redis: redis.Redis, make: Make
) -> None:
    enqueue(app_redis, 1, 2, 3, queue="a")
    supply = make("a", "b")
    supply.start()
    fetched = supply.fetcher.ack_and_fetch([], want=3)
    assert len(fetched) == 3
    Queue(app_redis, "a").pause()
    supply.fetcher.pauses.refresh()
    assert supply.fetcher.keep(fetched) == []  # e.g. extras waiting in the buffer
    assert queued(app_redis, "a") == ["j1", "j2", "j3"]  # back at the head, in order
    assert in_progress(app_redis) == []


def test_the_hint_makes_the_worker_read_the_set_at_once(app_redis: redis.Redis) -> None:
    stop = threading.Event()
    poked = threading.Event()
    listener = HintsListener(
        app_redis, WakeUp(Clock(), stop), RedisHealth("test"), stop, on_paused=poked.set
    )
    listener.start()
    try:
        wait_for(lambda: listener.listening, 20, "the hints listener to subscribe")
        Queue(app_redis, "default").pause()
        wait_for(poked.is_set, 20, "the paused hint")
    finally:
        stop.set()
    assert app_redis.sismember(keys.PAUSED, "default")
