"""Tasks by path: registered when created, looked up without importing anything."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from jobs.tasks import discovery, registry
from tests.testapp import tasks


def test_discovered_tasks_are_registered() -> None:
    assert registry.lookup("tests.testapp.tasks.add") is tasks.add
    assert registry.lookup("project.mood.tasks.mood_advice") is not None


def test_copies_made_by_using_keep_the_first() -> None:
    tasks.add.using(queue_name="critical")
    assert registry.lookup("tests.testapp.tasks.add") is tasks.add


def test_lookup_never_imports() -> None:
    assert registry.lookup("tests.testapp.never_imported.boom") is None
    assert "tests.testapp.never_imported" not in sys.modules


def test_discovery_only_with_a_jobs_backend(settings: Any) -> None:
    assert discovery.uses_jobs_backend()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    assert not discovery.uses_jobs_backend()
    settings.TASKS = {"default": {"BACKEND": "no.such.Backend"}, "x": "not a dict"}
    assert not discovery.uses_jobs_backend()


def test_a_missing_task_framework_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobs.tasks import checks

    assert checks.check_task_framework() == []
    monkeypatch.setattr(checks, "available", lambda: False)
    errors = checks.check_task_framework()
    assert [error.id for error in errors] == ["jobs.E041", "jobs.E041"]
    assert "TASKS['default'] uses jobs.tasks.JobsBackend" in errors[0].msg
    assert "TASKS['brief']" in errors[1].msg
