"""Fixtures of the security suite: the dashboard's users and clients, worlds to attack, figures.

`pytest tests/security` runs the short profile (CI, well under a minute);
`pytest tests/security --long` (or JOBS_RELIABILITY=long) the deeper one. Each test
prints its figures and appends them to test-output/security.jsonl (tests/figures.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import redis

from tests.dashboard.conftest import (
    basic_auth,
    basic_client,
    browser_type_launch_args,
    member_client,
    r,
    staff,
    staff_client,
    superuser,
    viewer_client,
)
from tests.figures import ROOT, Profile, Reporter
from tests.security.hostile import (
    Seeded,
    hostile_schedule,
    seed_everywhere,
    seed_schedule_state,
)
from tests.security.routes import World, seed_plain

__all__ = [
    "basic_auth",
    "basic_client",
    "browser_type_launch_args",
    "member_client",
    "r",
    "staff",
    "staff_client",
    "superuser",
    "viewer_client",
]
OUTPUT = ROOT / "test-output" / "security.jsonl"


@pytest.fixture
def figures(profile: Profile) -> Reporter:
    """Print a test's figures and append them to test-output/security.jsonl."""
    return Reporter(profile.name, output=OUTPUT)


@pytest.fixture
def hostile(redis_client: redis.Redis, settings: Any) -> Seeded:
    """Every payload in every field of Redis, and recurring entries named after them."""
    seeded = seed_everywhere(redis_client)
    schedule = hostile_schedule()
    settings.JOBS = {**settings.JOBS, "SCHEDULE": schedule}
    seeded.entries = seed_schedule_state(redis_client, schedule)
    return seeded


@pytest.fixture
def plain(redis_client: redis.Redis, app_redis: redis.Redis, settings: Any) -> World:
    """Ordinary jobs, a process and recurring entries, each value carrying the LEAK mark."""
    return seed_plain(redis_client, app_redis, settings)
