"""System checks report misconfiguration with clear messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
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
        ({"QUEUES": "critical,default"}, "jobs.E002"),
        ({"QUEUES": {"default": 1}}, "jobs.E002"),
        ({"REDIS_URL": None}, "jobs.E001"),
        ({"DEAD_TIMEOUT": 0}, "jobs.E003"),
        ({"DEFAULT_RETRY": -1}, "jobs.E003"),
        ({"ERROR_MESSAGE_MAX": "10k"}, "jobs.E003"),
        ({"EMAIL_TIMEOUT": 0}, "jobs.E003"),
        ({"EMAIL_BACKEND": 42}, "jobs.E003"),
        ({"MAIL_QUEUE": "my mail"}, "jobs.E003"),
        ({"ADMIN_PASSWORD": 1234}, "jobs.E003"),
        ({"CONCURENCY": 5}, "jobs.E004"),
        ({"HEARTBEAT_TTL": 1, "HEARTBEAT_INTERVAL": 5}, "jobs.W001"),
    ],
)
def test_bad_settings_are_reported(jobs: dict[str, Any], expected: str) -> None:
    with override_settings(JOBS=jobs):
        assert expected in ids(check_settings())


def test_default_settings_pass() -> None:
    with override_settings(JOBS={}):
        assert check_settings() == []


def messages(jobs: Any) -> list[str]:
    with override_settings(JOBS=jobs):
        return [m.msg for m in check_settings()]


def test_an_unknown_key_names_the_nearest_valid_one() -> None:
    assert messages({"CONCURENCY": 5}) == [
        "JOBS['CONCURENCY'] is not a setting of jobs; did you mean CONCURRENCY?"
    ]
    assert messages({"redis_url": "redis://x/0"}) == [
        "JOBS['redis_url'] is not a setting of jobs; did you mean REDIS_URL?"
    ]
    with override_settings(JOBS={"COLOUR": "blue"}):
        [error] = check_settings()
    assert error.msg == "JOBS['COLOUR'] is not a setting of jobs"
    assert "CONCURRENCY, SHUTDOWN_TIMEOUT" in (error.hint or "")


def test_queues_given_as_a_string_must_be_a_list() -> None:
    [message] = messages({"QUEUES": "critical,default"})
    assert message == "JOBS['QUEUES'] must be a list of queues, not the string 'critical,default'"


def test_jobs_that_is_not_a_dict_is_an_error() -> None:
    with override_settings(JOBS=[("CONCURRENCY", 5)]):
        assert ids(check_settings()) == ["jobs.E004"]
        assert check_settings()[0].msg == "JOBS must be a dict, not [('CONCURRENCY', 5)]"


def test_every_bad_value_is_reported_not_only_the_first() -> None:
    found = messages({"CONCURRENCY": "ten", "POLL_INTERVAL": -1, "TYPO": 1})
    assert found == [
        "JOBS['TYPO'] is not a setting of jobs",
        "JOBS['CONCURRENCY'] must be a positive integer, not 'ten'",
        "JOBS['POLL_INTERVAL'] must be a positive number, not -1",
    ]


def test_manage_py_check_and_runworker_refuse_an_unknown_key() -> None:
    with override_settings(JOBS={"CONCURENCY": 5}):
        with pytest.raises(SystemCheckError, match=r"jobs\.E004.*did you mean CONCURRENCY\?"):
            call_command("check")
        # runworker runs the checks before it starts anything (the real process: test_launcher).
        with pytest.raises(SystemCheckError, match="did you mean CONCURRENCY"):
            call_command("runworker", skip_checks=False)
        # And without the checks (--skip-checks), it reads the settings itself.
        with pytest.raises(CommandError, match=r"JOBS is misconfigured:\nJOBS\['CONCURENCY'\]"):
            call_command("runworker", skip_checks=True)


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
