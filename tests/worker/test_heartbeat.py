"""The heartbeat thread (jobs/worker/heartbeat.py): it beats through outages and bugs.

The whole worker's heartbeat is proven by the real-process tests (dashboard,
recovery, signals); these start only the thread, against a Redis we stop and start.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
import redis

from jobs.queue_order import QueueOrder
from jobs.redis import keys
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.worker.heartbeat import Heartbeat, process_info
from jobs.worker.manager import Running
from jobs.worker.stats import Counters
from tests.helpers import PrivateRedis, wait_for

IDENTITY = "host:1:heartbeat-test"


class Idle:
    """A process whose threads run nothing (what a beat reads of the Manager)."""

    def busy(self) -> int:
        return 0

    def running(self) -> list[tuple[str, Running]]:
        return []


def heartbeat(client: redis.Redis, counters: Counters) -> Heartbeat:
    info = process_info(IDENTITY, "t", 2, QueueOrder.from_entries(["default"]))
    return Heartbeat(client, IDENTITY, info, Idle(), counters, Clock(), ttl=5)


def test_the_thread_beats_through_an_outage_and_keeps_its_counts(tmp_path: Path) -> None:
    server = PrivateRedis(tmp_path / "redis")
    client = redis.Redis.from_url(server.url, socket_connect_timeout=0.2, socket_timeout=0.5)
    counters = Counters()
    counters.add(processed=3, failed=1)
    counters.ran({"class": "app.Mail"}, 0.01)
    counters.ran({"class": "app.Mail"}, 2.0, failed=True)
    health = RedisHealth(server.url)
    stopping = threading.Event()
    signals: list[str | None] = []
    heartbeat(client, counters).start(0.1, health, stopping, signals.append)
    try:
        wait_for(lambda: health.down, 10, what="the outage to be noticed")
        server.start()
        admin = server.client()
        wait_for(lambda: not health.down, 10, what="a beat once Redis is back")
        assert admin.exists(IDENTITY)
        assert admin.get(keys.STAT_PROCESSED) == b"3"  # counted before the outage, not lost
        assert admin.get(keys.STAT_FAILED) == b"1"
        metrics = admin.hgetall("jobs:metrics:totals")  # given back after each failed beat
        assert metrics == {
            b"app.Mail|p": b"2",
            b"app.Mail|f": b"1",
            b"app.Mail|ms": b"10",
            b"app.Mail|0": b"1",
        }
        admin.lpush(keys.process_signals(IDENTITY), "TSTP")
        wait_for(lambda: "TSTP" in signals, 10, what="the signal handed to the launcher")
    finally:
        stopping.set()
        server.stop()
        client.close()


def test_a_failing_after_beat_is_logged_and_the_beats_go_on(
    app_redis: redis.Redis, redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    beats: list[str | None] = []

    def after_beat(signal: str | None) -> None:
        beats.append(signal)
        if len(beats) == 1:
            raise KeyError("a bug in recovery")

    stopping = threading.Event()
    with caplog.at_level(logging.ERROR, logger="jobs.worker"):
        heartbeat(app_redis, Counters()).start(0.05, RedisHealth("r"), stopping, after_beat)
        try:
            wait_for(lambda: len(beats) >= 3, 10, what="beats after the failing one")
        finally:
            stopping.set()
    assert "heartbeat or recovery failed; trying again next beat" in caplog.messages
    assert redis_client.sismember(keys.PROCESSES, IDENTITY)
