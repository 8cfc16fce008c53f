"""System checks report misconfiguration with clear messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from jobs import Job
from jobs.checks import (
    check_dashboard_credentials,
    check_job_classes,
    check_job_queues,
    check_settings,
)
from jobs.registry import jobs_registry


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


@pytest.mark.parametrize(
    ("jobs", "expected"),
    [
        ({"REDIS_URL": "http://localhost"}, "jobs.E001"),
        ({"REDIS_URL": "redis://"}, "jobs.E001"),
        ({"REDIS_URL": "redis://localhost:notaport/0"}, "jobs.E001"),
        ({"QUEUES": [("a", "heavy")]}, "jobs.E002"),
        ({"QUEUES": ["a,x"]}, "jobs.E002"),
        ({"QUEUES": [("a", 0)]}, "jobs.E002"),
        ({"QUEUES": [("a", 1.5)]}, "jobs.E002"),
        ({"QUEUES": ["a", "a"]}, "jobs.E002"),
        ({"QUEUES": [42]}, "jobs.E002"),
        ({"QUEUES": []}, "jobs.E002"),
        ({"CONCURRENCY": 0}, "jobs.E003"),
        ({"PIN_CPU": "no"}, "jobs.E003"),
        ({"HEARTBEAT_TTL": 1, "HEARTBEAT_INTERVAL": 5}, "jobs.W001"),
    ],
)
def test_bad_settings_are_reported(jobs: dict[str, Any], expected: str) -> None:
    with override_settings(JOBS=jobs):
        assert expected in ids(check_settings())


def test_default_settings_pass() -> None:
    with override_settings(JOBS={}):
        assert check_settings() == []


def test_bad_job_options_are_reported() -> None:
    class BadRetry(Job):
        retry = -3  # type: ignore[assignment]
        queue = "no spaces allowed"
        retry_for = "a day"  # type: ignore[assignment]

        def perform(self) -> None: ...

    try:
        found = ids([m for m in check_job_classes() if m.obj is BadRetry])
        assert found == ["jobs.E010", "jobs.E011", "jobs.E012"]
    finally:
        jobs_registry.unregister(
            "tests.test_checks.test_bad_job_options_are_reported.<locals>.BadRetry"
        )


def test_job_on_an_unread_queue_is_warned() -> None:
    class Lonely(Job):
        queue = "nobody-reads-this"

        def perform(self) -> None: ...

    try:
        assert "jobs.W010" in ids([m for m in check_job_queues() if m.obj is Lonely])
    finally:
        jobs_registry.unregister(
            "tests.test_checks.test_job_on_an_unread_queue_is_warned.<locals>.Lonely"
        )


def test_dashboard_credentials() -> None:
    with override_settings(DEBUG=False, JOBS={}):
        assert ids(check_dashboard_credentials()) == ["jobs.W040"]
    with override_settings(DEBUG=False, JOBS={"ADMIN_USERNAME": "ops"}):
        assert ids(check_dashboard_credentials()) == ["jobs.E040"]
    with override_settings(DEBUG=False, JOBS={"ADMIN_USERNAME": "ops", "ADMIN_PASSWORD": "s3cret"}):
        assert check_dashboard_credentials() == []
