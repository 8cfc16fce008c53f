"""The dashboard home, stats.json and metrics."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import redis
from django.test import Client

from tests.dashboard.seed import add, failed, job, process, push


def seed(r: redis.Redis) -> None:
    r.set("stat:processed", 1234)
    r.set("stat:failed", 56)
    push(r, "default", job())
    add(r, "retry", failed())
    add(r, "dead", failed())
    add(r, "schedule", job(), time.time() + 60)
    process(r, busy=2)


def test_index_shows_numbers_graphs_and_redis(staff_client: Client, r: redis.Redis) -> None:
    seed(r)
    body = staff_client.get("/admin/jobs/").content.decode()
    assert 'data-stat="processed">1,234<' in body
    assert 'data-stat="failed">56<' in body
    assert 'id="live-graph"' in body
    assert 'id="history-graph"' in body
    assert "Redis" in body
    assert "Memory used" in body
    assert '<script src="/static/jobs/graphs.js" defer>' in body


def test_index_clamps_interval_and_days(staff_client: Client, r: redis.Redis) -> None:
    body = staff_client.get("/admin/jobs/?interval=0&days=100000").content.decode()
    assert 'data-interval="1"' in body
    assert 'data-days="365"' in body
    body = staff_client.get("/admin/jobs/?interval=junk&days=-4").content.decode()
    assert 'data-interval="5"' in body
    assert 'data-days="1"' in body


def test_index_empty_state(staff_client: Client, r: redis.Redis) -> None:
    assert "No worker is running" in staff_client.get("/admin/jobs/").content.decode()


def test_stats_json(staff_client: Client, r: redis.Redis) -> None:
    seed(r)
    data = staff_client.get("/admin/jobs/stats.json").json()
    assert data["stats"] == {"processed": 1234, "failed": 56, "busy": 2, "enqueued": 1,
                             "scheduled": 1, "retries": 1, "dead": 1, "processes": 1}  # fmt: skip
    assert abs(data["time"] - time.time()) < 5
    assert "version" in data["redis"]
    assert "history" not in data


def test_stats_json_history_is_clamped(staff_client: Client, r: redis.Redis) -> None:
    today = datetime.now(UTC).date()
    r.set(f"stat:processed:{today.isoformat()}", 7)
    r.set(f"stat:failed:{(today - timedelta(days=1)).isoformat()}", 3)
    history = staff_client.get("/admin/jobs/stats.json?days=7").json()["history"]
    assert history["days"] == 7
    assert len(history["dates"]) == 7
    assert history["processed"][-1] == 7
    assert history["failed"][-2] == 3
    assert staff_client.get("/admin/jobs/stats.json?days=99999").json()["history"]["days"] == 365
    assert staff_client.get("/admin/jobs/stats.json?days=x").json()["history"]["days"] == 30


def test_metrics(staff_client: Client, r: redis.Redis) -> None:
    seed(r)
    response = staff_client.get("/admin/jobs/metrics")
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.content.decode()
    assert "# TYPE jobs_processed_total counter\njobs_processed_total 1234\n" in text
    assert "jobs_failed_total 56" in text
    assert 'jobs_queue_size{queue="default"} 1' in text
    assert 'jobs_set_size{set="retry"} 1' in text
    assert "jobs_busy 2" in text
    assert "jobs_processes 1" in text
    assert 'jobs_queue_latency_seconds{queue="default"}' in text
