"""The fake and inline test modes, and the pytest fixtures."""

from __future__ import annotations

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
