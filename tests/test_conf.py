"""The typed settings object (jobs/conf.py): every key has a rule; reading JOBS never raises."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

import pytest
from django.test import override_settings

from jobs.conf import KEYS, JobsSettings, Problem, get_settings, problems, unknown_key

# A value of the wrong type for every key: each rule must refuse it.
WRONG: dict[str, Any] = {
    "REDIS_URL": 6379,
    "QUEUES": "default",
    "CONCURRENCY": 2.5,
    "SHUTDOWN_TIMEOUT": "25",
    "ADMIN_USERNAME": ["ops"],
    "ADMIN_PASSWORD": b"secret",
    "POLL_INTERVAL": True,
    "HEARTBEAT_INTERVAL": None,
    "HEARTBEAT_TTL": 0,
    "DEAD_MAX_JOBS": -5,
    "DEAD_TIMEOUT": "180d",
    "MAX_RECOVERIES": False,
    "DEFAULT_RETRY": 2.0,
    "ERROR_MESSAGE_MAX": 0,
    "EMAIL_BACKEND": "SMTP",
    "MAIL_QUEUE": 7,
    "EMAIL_TIMEOUT": -1,
    "PIN_CPU": 1,
    "STATE_DIR": "relative/dir",
    "DURABLE_PUSH": {"replicas": 0, "timeout_ms": 100},
    "HISTORY_TTL": 0,
    "HISTORY_SIZE": -1,
}


def test_the_defaults_follow_their_own_rules() -> None:
    assert problems(asdict(JobsSettings())) == []


@pytest.mark.parametrize("key", sorted(WRONG))
def test_every_key_refuses_a_wrong_value(key: str) -> None:
    [problem] = problems({key: WRONG[key]})
    assert problem.key == key
    assert problem.message.startswith(f"JOBS['{key}']")
    if key == "ADMIN_PASSWORD":  # a password is never echoed, even a mistyped one
        assert problem.message == "JOBS['ADMIN_PASSWORD'] must be a string or None, not a bytes"
    else:
        assert repr(WRONG[key]) in problem.message


def test_every_key_but_the_schedule_is_checked_here() -> None:
    # SCHEDULE needs the job registry: jobs/recurring/checks.py reads it, entry by entry.
    assert set(WRONG) == set(KEYS) - {"SCHEDULE"}
    assert [f.name for f in fields(JobsSettings)] == list(KEYS)
    assert [f.name for f in fields(JobsSettings) if "rule" not in f.metadata] == []


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("CONCURENCY", "JOBS['CONCURENCY'] is not a setting of jobs; did you mean CONCURRENCY?"),
        ("concurrency", "JOBS['concurrency'] is not a setting of jobs; did you mean CONCURRENCY?"),
        (
            "POLL_INTERVALL",
            "JOBS['POLL_INTERVALL'] is not a setting of jobs; did you mean POLL_INTERVAL?",
        ),
        ("WIDGETS", "JOBS['WIDGETS'] is not a setting of jobs"),
        (3, "JOBS has a key that is not a setting name: 3"),
    ],
)
def test_unknown_keys_are_named_with_the_nearest_valid_one(key: object, message: str) -> None:
    problem = unknown_key(key)
    assert problem == Problem(None, message, problem.hint)
    assert "REDIS_URL" in (problem.hint or "")


def test_reading_bad_settings_never_raises() -> None:
    with override_settings(JOBS={"CONCURENCY": 5, "CONCURRENCY": 3, "QUEUES": "a,b"}):
        settings = get_settings()
        assert settings.CONCURRENCY == 3
        assert settings.queue_names() == []  # not the letters of "a,b"
    with override_settings(JOBS=["not", "a", "dict"]):
        assert get_settings() == JobsSettings()
    with override_settings(JOBS=None):
        assert get_settings() == JobsSettings()


def test_a_changed_jobs_setting_is_read_again() -> None:
    with override_settings(JOBS={"CONCURRENCY": 4}):
        assert get_settings().CONCURRENCY == 4
    with override_settings(JOBS={"CONCURRENCY": 6}):
        assert get_settings().CONCURRENCY == 6
