"""Queues page, one queue's jobs, delete one, clear."""

from __future__ import annotations

import time

import redis
from django.test import Client

from tests.dashboard.seed import job, push


def test_queues_page_lists_sizes_and_latency(staff_client: Client, r: redis.Redis) -> None:
    push(r, "mailers", job(queue="mailers", enqueued_at=time.time() - 125))
    body = staff_client.get("/admin/jobs/queues/").content.decode()
    assert '<a href="/admin/jobs/queues/mailers">mailers</a>' in body
    assert "2 min" in body
    assert "critical" in body  # configured queues show even when empty


def test_queues_empty_state(staff_client: Client, r: redis.Redis, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JOBS = {**settings.JOBS, "QUEUES": []}
    assert "No queues yet" in staff_client.get("/admin/jobs/queues/").content.decode()


def test_queue_page_pages_and_searches(staff_client: Client, r: redis.Redis) -> None:
    for i in range(30):
        push(r, "default", job(args=[f"n{i:02d}"]))
    first = staff_client.get("/admin/jobs/queues/default").content.decode()
    assert "n00" in first
    assert "n24" in first
    assert "n25" not in first
    newest = staff_client.get("/admin/jobs/queues/default?order=newest").content.decode()
    assert "n29" in newest
    assert "n04" not in newest
    found = staff_client.get("/admin/jobs/queues/default?q=n17").content.decode()
    assert "n17" in found
    assert "n16" not in found


def test_queue_names_with_slashes_and_spaces(staff_client: Client, r: redis.Redis) -> None:
    push(r, "team a/reports", job(queue="team a/reports"))
    response = staff_client.get("/admin/jobs/queues/team%20a/reports")
    assert response.status_code == 200
    assert '<strong class="jobs-class">MoodSenderJob</strong>' in response.content.decode()


def test_delete_one_job(staff_client: Client, r: redis.Redis) -> None:
    keep, drop = job(args=["keep"]), job(args=["drop"])
    push(r, "default", keep)
    push(r, "default", drop)
    response = staff_client.post(
        "/admin/jobs/actions/queues/delete", {"queue": "default", "job": drop["jid"]}, follow=True
    )
    assert "Deleted the job" in response.content.decode()
    assert r.llen("queue:default") == 1
    assert b"keep" in r.lindex("queue:default", 0)
    again = staff_client.post(
        "/admin/jobs/actions/queues/delete", {"queue": "default", "job": drop["jid"]}, follow=True
    )
    assert "no longer in the queue" in again.content.decode()


def test_clear_queue(staff_client: Client, r: redis.Redis) -> None:
    for _ in range(3):
        push(r, "low", job(queue="low"))
    response = staff_client.post("/admin/jobs/actions/queues/clear", {"queue": "low"}, follow=True)
    assert "Cleared queue low: 3 jobs deleted." in response.content.decode()
    assert not r.exists("queue:low")
    assert not r.sismember("queues", "low")


def test_invalid_queue_name(staff_client: Client, r: redis.Redis) -> None:
    response = staff_client.post("/admin/jobs/actions/queues/clear", {"queue": "a\nb"}, follow=True)
    assert "not a queue name" in response.content.decode()
    assert staff_client.get("/admin/jobs/queues/" + "x" * 300).status_code == 404


def test_unknown_queue_is_a_404_but_a_known_empty_one_is_a_page(
    staff_client: Client, r: redis.Redis
) -> None:
    assert staff_client.get("/admin/jobs/queues/nosuchqueue").status_code == 404
    r.sadd("queues", "drained")  # known to Redis, empty now
    drained = staff_client.get("/admin/jobs/queues/drained")
    assert drained.status_code == 200
    assert "This queue is empty" in drained.content.decode()
    configured = staff_client.get("/admin/jobs/queues/critical")  # in JOBS["QUEUES"] only
    assert configured.status_code == 200
    push(r, "stray", job(queue="stray"))
    r.srem("queues", "stray")  # jobs in a list the set lost: still shown
    assert staff_client.get("/admin/jobs/queues/stray").status_code == 200


def test_pause_and_resume_buttons(staff_client: Client, r: redis.Redis) -> None:
    push(r, "mailers", job(queue="mailers"))
    page = staff_client.get("/admin/jobs/queues/").content.decode()
    assert 'action="/admin/jobs/actions/queues/pause"' in page
    response = staff_client.post(
        "/admin/jobs/actions/queues/pause", {"queue": "mailers"}, follow=True
    )
    assert "Paused queue mailers" in response.content.decode()
    assert r.smembers("jobs:paused") == {b"mailers"}
    page = staff_client.get("/admin/jobs/queues/").content.decode()
    assert 'action="/admin/jobs/actions/queues/resume"' in page
    assert "paused" in staff_client.get("/admin/jobs/queues/mailers").content.decode()
    staff_client.post("/admin/jobs/actions/queues/resume", {"queue": "mailers"})
    assert r.smembers("jobs:paused") == set()


def test_pause_refuses_a_bad_queue_name(staff_client: Client, r: redis.Redis) -> None:
    response = staff_client.post("/admin/jobs/actions/queues/pause", {"queue": ""}, follow=True)
    assert "not a queue name" in response.content.decode()
    assert r.exists("jobs:paused") == 0
