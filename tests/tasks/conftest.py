"""Shared helpers of the django.tasks tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from django.test import Client

from jobs.redis import keys


def record(client: redis.Redis, jid: str) -> dict[str, str]:
    """A task's result record as stored, text fields."""
    raw = client.hgetall(keys.task_result(jid))
    return {name.decode(): value.decode() for name, value in raw.items()}


def queued(client: redis.Redis, queue: str = "default") -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in client.lrange(f"queue:{queue}", 0, -1)]


def make_retries_due(client: redis.Redis) -> int:
    """Move every retry's time to now, so the poller hands it back at once."""
    members = client.zrange("retry", 0, -1)
    if members:
        client.zadd("retry", dict.fromkeys(members, 0), xx=True)
    return len(members)


@pytest.fixture
def staff_client(db: None, django_user_model: Any, redis_client: redis.Redis) -> Client:
    """Logged in to the dashboard as a staff user who may act."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("operator", password=None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_dashboard"))
    client = Client()
    client.force_login(user)
    return client
