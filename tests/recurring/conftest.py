"""Fixtures for the recurring-jobs tests: a settable clock, schedules in the settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from jobs.payload import loads
from jobs.recurring import status
from jobs.runtime.clock import Clock

TICK = "tests.testapp.jobs.TickJob"


class FakeClock(Clock):
    """A worker clock that says what the test sets."""

    def __init__(self, at: float) -> None:
        super().__init__()
        self.at = at

    def now(self) -> float:
        return self.at


def pushed_ticks(client: redis.Redis, queue: str = "default") -> list[int | str]:
    """The `recurring_tick` of every job in `queue`, oldest first."""
    raw = client.lrange(f"queue:{queue}", 0, -1)
    return [loads(item).get("recurring_tick", "manual") for item in reversed(raw)]


@pytest.fixture
def use_schedule(redis_url: str) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Put a JOBS["SCHEDULE"] in the settings for the rest of the test."""
    overrides: list[Any] = []

    def use(schedule: dict[str, Any]) -> None:
        override = override_settings(JOBS={**settings.JOBS, "SCHEDULE": schedule})
        override.enable()
        overrides.append(override)

    yield use
    for override in reversed(overrides):
        override.disable()


@pytest.fixture(autouse=True)
def _no_status_receivers() -> Iterator[None]:
    """Runners started by a test connect the status receivers; leave none behind."""
    yield
    status.disconnect()
