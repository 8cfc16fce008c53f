"""Tasks by path: registered when created, looked up without importing anything."""

from __future__ import annotations

import sys
from typing import Any

from jobs.tasks import registry
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
    assert registry.uses_jobs_backend()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    assert not registry.uses_jobs_backend()
    settings.TASKS = {"default": {"BACKEND": "no.such.Backend"}, "x": "not a dict"}
    assert not registry.uses_jobs_backend()
