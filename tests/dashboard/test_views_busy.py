"""Busy page (paged processes, running jobs) and the quiet / stop buttons."""

from __future__ import annotations

import redis
from django.test import Client

from tests.dashboard.seed import job, process


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
    assert "<strong>200</strong> processes" in body
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
