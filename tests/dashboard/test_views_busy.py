"""Busy page (paged processes, running jobs) and the quiet / stop buttons."""

from __future__ import annotations

import re
from typing import Any

import redis
from django.test import Client

from tests.dashboard.seed import job, process
from tests.helpers import wait_for
from tests.testapp.jobs import SlowJob


def test_busy_page_shows_processes_and_running_jobs(staff_client: Client, r: redis.Redis) -> None:
    process(
        r,
        "web.1:4242:0123456789ab",
        busy=1,
        running=[job(**{"class": "SlowJob", "args": [{"token": "T0KEN"}]})],
    )
    process(
        r,
        "ruby:9647:3c9210e7b251",
        running=[job(**{"class": "RubyJob"})],
        sidekiq6=True,
        version="6.4.1",
    )
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    for text in (
        "web.1",
        "4242",
        "default, mailers",
        "50.0 MB",
        "SlowJob",
        "RubyJob",
        "v6.4.1",
        "Quiet",
    ):
        assert text in body, text
    assert "T0KEN" not in body


def test_busy_empty_state(staff_client: Client, r: redis.Redis) -> None:
    assert "No worker process is running" in staff_client.get("/admin/jobs/busy/").content.decode()


def test_200_processes_are_paged(staff_client: Client, r: redis.Redis) -> None:
    for i in range(200):
        process(r, f"host{i:03d}:{i}:aaaaaaaaaaaa", busy=1, running=[job()])
    body = staff_client.get("/admin/jobs/busy/?per_page=50&page=2").content.decode()
    assert "host050" in body
    assert "host099" in body
    assert "host049" not in body
    assert "host100" not in body
    assert "<dt>Processes</dt><dd>200</dd>" in body
    capped = staff_client.get("/admin/jobs/busy/?per_page=500").content.decode()
    assert "host099" in capped
    assert "host100" not in capped


def test_quiet_and_stop_write_sidekiq_signals(staff_client: Client, r: redis.Redis) -> None:
    identity = process(r)
    staff_client.post("/admin/jobs/actions/busy/signal", {"identity": identity, "signal": "quiet"})
    response = staff_client.post(
        "/admin/jobs/actions/busy/signal", {"identity": identity, "signal": "stop"}, follow=True
    )
    assert "Asked 1 process(es) to stop" in response.content.decode()
    assert r.lrange(f"{identity}-signals", 0, -1) == [b"TERM", b"TSTP"]
    assert 0 < r.ttl(f"{identity}-signals") <= 60


def test_quiet_all(staff_client: Client, r: redis.Redis) -> None:
    identities = [process(r, f"h{i}:1:aaaaaaaaaaaa") for i in range(3)]
    staff_client.post("/admin/jobs/actions/busy/signal", {"identity": "*", "signal": "quiet"})
    assert all(r.lrange(f"{i}-signals", 0, -1) == [b"TSTP"] for i in identities)


def test_unknown_process_or_signal_writes_nothing(staff_client: Client, r: redis.Redis) -> None:
    response = staff_client.post(
        "/admin/jobs/actions/busy/signal", {"identity": "nope", "signal": "stop"}, follow=True
    )
    assert "No such live process" in response.content.decode()
    staff_client.post("/admin/jobs/actions/busy/signal", {"identity": "nope", "signal": "KILL"})
    assert r.keys("*") == []


def test_children_of_a_supervisor_name_it_escaped(staff_client: Client, r: redis.Redis) -> None:
    process(r, "vm:101:aaaaaaaaaaaa", supervisor="vm:100")
    process(r, "vm:102:bbbbbbbbbbbb", supervisor="<b>vm</b>:100")
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    assert "under supervisor vm:100" in body
    assert "under supervisor &lt;b&gt;vm&lt;/b&gt;:100" in body
    assert "<b>vm</b>" not in body


def test_busy_shows_utilisation_and_total_memory(staff_client: Client, r: redis.Redis) -> None:
    process(r, "a:1:aaaaaaaaaaaa", busy=3, running=[job()])  # 10 threads, 50 MB each
    process(r, "b:2:bbbbbbbbbbbb", busy=2, running=[job()])
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    assert "<dd>5 / 20</dd>" in body
    assert "<span data-utilisation>25 %</span>" in body
    assert "<dd>100.0 MB</dd>" in body  # the RSS both heartbeats report, summed


def test_a_stop_on_its_way_or_begun_shows_stopping_and_reloads(
    staff_client: Client, r: redis.Redis
) -> None:
    quiet, stopping, running = (process(r, f"h{i}:{i}:aaaaaaaaaaaa") for i in range(3))
    steady = staff_client.get("/admin/jobs/busy/").content.decode()
    assert steady.count('data-process-state="running"') == 3
    assert "data-refresh" not in steady
    staff_client.post("/admin/jobs/actions/busy/signal", {"identity": quiet, "signal": "quiet"})
    r.hset(stopping, "stopping", "true")  # what a worker's last beat writes
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    assert body.count('data-process-state="running"') == 1
    assert body.count('data-process-state="quiet"') == 1
    assert body.count('data-process-state="stopping"') == 1
    assert 'data-refresh="3"' in body  # until the processes obey
    staff_client.post("/admin/jobs/actions/busy/signal", {"identity": running, "signal": "stop"})
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    assert body.count('data-process-state="stopping"') == 2


def test_a_real_worker_shows_quiet_then_stopping_then_leaves(
    staff_client: Client, r: redis.Redis, start_worker: Any
) -> None:
    worker = start_worker("-c", "2", "--timeout", "30")
    identity = worker.wait_ready()
    SlowJob.perform_async(8, "busy")  # keeps the stopping worker waiting for it
    wait_for(lambda: r.llen("ledger:started") == 1, 20, what="the slow job to start")

    def state() -> str:
        body = staff_client.get("/admin/jobs/busy/").content.decode()
        found = re.search(r'data-process-state="(\w+)"', body)
        return found.group(1) if found else "gone"

    assert state() == "running"
    staff_client.post("/admin/jobs/actions/busy/signal", {"identity": identity, "signal": "quiet"})
    assert state() == "quiet"  # at once: the signal is on its way
    wait_for(lambda: r.hget(identity, "quiet") == b"true", 20, what="the worker to obey")
    staff_client.post("/admin/jobs/actions/busy/signal", {"identity": identity, "signal": "stop"})
    assert state() == "stopping"
    wait_for(lambda: r.hget(identity, "stopping") == b"true", 20, what="the last beat")
    assert not r.lrange(f"{identity}-signals", 0, -1)  # taken: the hash alone says it now
    assert state() == "stopping"
    assert worker.process.wait(40) == 0
    assert state() == "gone"
