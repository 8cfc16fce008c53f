"""Real worker processes running the schedule of tests/recurring/settings.py."""

from __future__ import annotations

import base64
import math
import signal
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from jobs.payload import loads
from jobs.recurring import control
from jobs.redis.connection import server_time
from tests.conftest import WorkerFactory
from tests.helpers import Worker, wait_for
from tests.recurring import settings as recurring_settings

SETTINGS = "tests.recurring.settings"
UseSchedule = Callable[[dict[str, Any]], None]

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def schedule(use_schedule: UseSchedule) -> None:
    """The same schedule in this process, for `control`."""
    use_schedule(recurring_settings.JOBS["SCHEDULE"])


def queued(client: redis.Redis, queue: str) -> list[dict[str, Any]]:
    """Jobs waiting in `queue`, oldest first."""
    return [loads(raw) for raw in reversed(client.lrange(f"queue:{queue}", 0, -1))]


def queued_ticks(client: redis.Redis, queue: str) -> list[int]:
    return [job["recurring_tick"] for job in queued(client, queue)]


def ran_ticks(client: redis.Redis, label: str) -> list[int]:
    """Ticks whose TickJob ran, from the job's ledger."""
    entries = [
        item.decode().split(":")[0] for item in client.lrange(f"ledger:ticks:{label}", 0, -1)
    ]
    return [int(tick) for tick in entries]


def toggle_from_dashboard(name: str, enable: bool) -> None:
    """Press the Recurring page's Enable/Disable button, as an operator with Basic auth."""
    with override_settings(JOBS={**settings.JOBS, "ADMIN_USERNAME": "ops", "ADMIN_PASSWORD": "pw"}):
        response = Client().post(
            reverse("jobs:recurring_enable" if enable else "jobs:recurring_disable"),
            {"name": name},
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"ops:pw").decode(),
        )
    assert response.status_code == 302, response.content
    assert control.get_entry(name).enabled is enable


def start(start_worker: WorkerFactory, count: int) -> list[Worker]:
    workers = [start_worker("-c", "2", settings=SETTINGS) for _ in range(count)]
    for worker in workers:
        worker.wait_ready()
    return workers


def stop(workers: list[Worker]) -> None:
    """SIGTERM every worker at once, then wait for each to exit cleanly."""
    for worker in workers:
        worker.signal(signal.SIGTERM)
    for worker in workers:
        assert worker.process.wait(40) == 0, worker.log()
        assert "Traceback" not in worker.log(), worker.log()


def consecutive(ticks: list[int]) -> bool:
    return sorted(ticks) == list(range(min(ticks), max(ticks) + 1))


def test_three_workers_enqueue_every_tick_exactly_once(
    redis_client: redis.Redis, start_worker: WorkerFactory, app_redis: redis.Redis
) -> None:
    workers = start(start_worker, 3)
    ready_at = server_time(app_redis)
    first = wait_for(lambda: queued_ticks(redis_client, "paused"), 10, what="a first tick")[0]
    wait_for(
        lambda: max(queued_ticks(redis_client, "paused")) >= first + 10, 20, what="10 more ticks"
    )
    wait_for(
        lambda: control.get_entry("tick").last_status == "succeeded", 5, what="a status of 'tick'"
    )
    stop_at = server_time(app_redis)
    stop(workers)

    # Enqueued only (no worker reads "paused"): every tick once, none missing.
    paused = queued_ticks(redis_client, "paused")
    assert max(Counter(paused).values()) == 1
    assert consecutive(paused), paused
    assert first <= ready_at + 1
    elapsed = math.floor(stop_at) - first + 1
    assert abs(len(paused) - elapsed) <= 1, (len(paused), elapsed)
    assert len(paused) >= 11

    # Enqueued and run: each tick's job ran once (or was pushed back at the stop).
    ran = ran_ticks(redis_client, "tick")
    left = queued_ticks(redis_client, "default")
    assert max(Counter(ran + left).values()) == 1
    assert consecutive(ran + left)
    assert len(ran) >= 10


def test_a_disabled_entry_enqueues_nothing_until_re_enabled(
    redis_client: redis.Redis, start_worker: WorkerFactory, app_redis: redis.Redis
) -> None:
    def ran() -> int:
        return int(redis_client.llen("ledger:ticks:tick"))

    def three_more_ticks() -> None:
        before = ran()
        wait_for(lambda: ran() >= before + 3, 15, what="three more ticks of 'tick'")

    control.set_enabled("paused", False)  # before any worker starts: it is kept in Redis
    workers = start(start_worker, 2)
    three_more_ticks()
    three_more_ticks()
    assert redis_client.llen("queue:paused") == 0

    enabled_at = server_time(app_redis)
    toggle_from_dashboard("paused", enable=True)
    wait_for(lambda: len(queued_ticks(redis_client, "paused")) >= 3, 10, what="paused ticks")
    # The ~6 s of ticks slept through are not enqueued now: they were skipped, not missed.
    # (A tick due a moment before enabling may still go out if a loaded worker woke late.)
    assert min(queued_ticks(redis_client, "paused")) >= enabled_at - 3

    toggle_from_dashboard("paused", enable=False)
    count = redis_client.llen("queue:paused")
    three_more_ticks()
    assert redis_client.llen("queue:paused") == count

    # Still disabled after every worker restarted.
    stop(workers)
    workers = start(start_worker, 1)
    three_more_ticks()
    assert redis_client.llen("queue:paused") == count
    toggle_from_dashboard("paused", enable=True)
    wait_for(lambda: redis_client.llen("queue:paused") > count, 10, what="ticks after enabling")
    stop(workers)


def test_after_downtime_only_the_most_recent_missed_tick_runs(
    redis_client: redis.Redis, start_worker: WorkerFactory, app_redis: redis.Redis
) -> None:
    workers = start(start_worker, 1)
    wait_for(lambda: queued_ticks(redis_client, "five"), 10, what="a tick of 'five'")
    stop(workers)
    last = max(queued_ticks(redis_client, "five"))
    assert max(queued_ticks(redis_client, "five-strict")) == last
    # No worker runs while tick last+5 passes; start again before last+10.
    wait_for(lambda: server_time(app_redis) >= last + 6, 10, interval=0.05, what="a missed tick")
    workers = start(start_worker, 1)
    wait_for(
        lambda: max(queued_ticks(redis_client, "five-strict")) > last, 15, what="the next tick"
    )
    stop(workers)

    five = [job for job in queued(redis_client, "five") if job["recurring_tick"] > last]
    caught_up = five[0]
    assert caught_up["recurring_tick"] == last + 5
    assert caught_up["enqueued_at"] - caught_up["recurring_tick"] >= 1  # enqueued late
    assert [job["recurring_tick"] for job in five] == [last + 5, last + 10]
    assert [t for t in queued_ticks(redis_client, "five-strict") if t > last] == [last + 10]
