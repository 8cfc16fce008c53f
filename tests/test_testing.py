"""The fake and inline test modes, and the pytest fixtures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from jobs import testing
from tests.testapp.jobs import RecordJob


def test_fake_keeps_jobs_in_memory(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[object] = []
    monkeypatch.setattr(RecordJob, "perform", lambda self, value=None: ran.append(value))
    with testing.fake():
        RecordJob.perform_async("a")
        RecordJob.perform_in(60, "b")
        assert [job["args"] for job in RecordJob.jobs] == [["a"], ["b"]]
        assert "at" in RecordJob.jobs[1]
        assert RecordJob.drain() == 2
        assert ran == ["a", "b"]
        assert RecordJob.jobs == []
        RecordJob.perform_async("c")
        RecordJob.clear()
        assert RecordJob.jobs == []
    assert redis_client.dbsize() == 0


def test_inline_runs_at_once_with_json_round_trip(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[object] = []
    monkeypatch.setattr(
        RecordJob, "perform", lambda self, value=None: ran.append((self.jid, value))
    )
    with testing.inline():
        jid = RecordJob.perform_async({"x": [1]})
    assert ran == [(jid, {"x": [1]})]
    assert redis_client.dbsize() == 0


def test_fake_still_checks_arguments() -> None:
    with testing.fake(), pytest.raises(TypeError, match=r"\('value'\) is of type set"):
        RecordJob.perform_async({1, 2})


def test_fixtures(jobs_fake: None) -> None:
    RecordJob.perform_async(1)
    assert len(RecordJob.jobs) == 1
    assert testing.all_jobs()[0]["args"] == [1]


def test_a_mode_holds_for_its_own_thread_only(redis_client: redis.Redis) -> None:
    """Another thread's jobs go to Redis, as in production; its own mode is its own."""
    seen: dict[str, object] = {}

    def elsewhere() -> None:
        seen["jid"] = RecordJob.perform_async("from a thread")
        seen["kept there"] = len(RecordJob.jobs)
        with testing.fake():
            RecordJob.perform_async("kept in that thread")
            seen["own fake"] = [job["args"] for job in RecordJob.jobs]

    with testing.fake():
        RecordJob.perform_async("here")
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        assert [job["args"] for job in RecordJob.jobs] == [["here"]]
    [pushed] = [json.loads(raw) for raw in redis_client.lrange("queue:default", 0, -1)]
    assert (pushed["jid"], pushed["args"]) == (seen["jid"], ["from a thread"])
    assert seen["kept there"] == 0
    assert seen["own fake"] == [["kept in that thread"]]


def test_nested_modes_restore_the_outer_one(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[object] = []
    monkeypatch.setattr(RecordJob, "perform", lambda self, value=None: ran.append(value))
    with testing.fake():
        with testing.inline():
            RecordJob.perform_async("inline")
        RecordJob.perform_async("kept")
        assert ran == ["inline"]
        assert [job["args"] for job in RecordJob.jobs] == [["kept"]]
    assert RecordJob.jobs == []
    assert RecordJob.drain() == 0  # outside fake(): nothing kept, nothing to run


def test_job_and_harness_import_neither_the_harness_nor_the_worker() -> None:
    """Job does not import jobs.testing, and jobs.testing does not import jobs.worker."""
    code = (
        "import sys, jobs.job; assert 'jobs.testing' not in sys.modules, 'job imports testing'; "
        "import jobs.testing; "
        "bad = sorted(m for m in sys.modules if m.startswith('jobs.worker')); "
        "assert not bad, f'testing imports {bad}'"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
