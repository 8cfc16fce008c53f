"""What every page shares: admin look, breadcrumbs, navigation counts, Redis outages."""

from __future__ import annotations

from typing import Any

import redis
from django.test import Client

from jobs.redis.connection import reset_clients
from tests.dashboard.seed import add, failed


def test_pages_sit_in_the_admin_with_breadcrumbs(staff_client: Client, r: redis.Redis) -> None:
    body = staff_client.get("/admin/jobs/retries/").content.decode()
    assert 'id="site-name"' in body  # the admin's header
    assert '<a href="/admin/">Home</a>' in body
    assert '<a href="/admin/jobs/">Jobs</a>' in body
    assert '<link rel="stylesheet" href="/static/jobs/dashboard.css">' in body


def test_navigation_counts(staff_client: Client, r: redis.Redis) -> None:
    for _ in range(3):
        add(r, "retry", failed())
    body = staff_client.get("/admin/jobs/busy/").content.decode()
    assert '<span class="jobs-badge" data-stat="retries">3</span>' in body


def test_redis_outage_is_a_readable_503(staff_client: Client, settings: Any) -> None:
    settings.JOBS = {**settings.JOBS, "REDIS_URL": "redis://:hunter2@127.0.0.1:1/0"}
    reset_clients()
    try:
        response = staff_client.get("/admin/jobs/")
    finally:
        reset_clients()
    body = response.content.decode()
    assert response.status_code == 503
    assert "cannot reach Redis" in body
    assert "127.0.0.1:1" in body
    assert "hunter2" not in body
    assert response["Content-Security-Policy"]
