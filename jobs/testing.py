"""Test modes, as Sidekiq::Testing: keep jobs in memory (`fake`) or run them at once (`inline`).

    with testing.fake():
        MoodSenderJob.perform_async("a", "b")
        assert len(MoodSenderJob.jobs) == 1
        MoodSenderJob.drain()

Both modes round-trip arguments through JSON, exactly as Redis would, and keep
the on_commit behaviour: a job enqueued in a rolled-back transaction never appears.
A mode holds for the thread that entered it (as Sidekiq's does): jobs enqueued by
other threads still go to Redis.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from jobs import execution
from jobs.client import Backend, current_backend, routed_to
from jobs.payload import Payload, dumps, loads
from jobs.registry import job_name, lookup

if TYPE_CHECKING:
    from jobs.job import Job


class KeepInMemory(Backend):
    """fake(): jobs kept in memory by class name, until drained or cleared."""

    def __init__(self) -> None:
        self.queues: dict[str, list[Payload]] = {}

    def push(self, payloads: list[Payload], at: float | None) -> None:
        for payload in payloads:
            kept = json.loads(dumps(payload))
            if at is not None:
                kept["at"] = at
            self.queues.setdefault(kept["class"], []).append(kept)

    def kept(self, name: str) -> list[Payload]:
        return self.queues.setdefault(name, [])

    def drain(self, name: str | None) -> int:
        ran = 0
        while True:
            names = [name] if name is not None else list(self.queues)
            batch = [self.queues[n].pop(0) for n in names if self.queues.get(n)]
            if not batch:
                return ran
            for payload in batch:
                run_payload(payload)
                ran += 1

    def clear(self, name: str | None) -> None:
        if name is None:
            self.queues.clear()
        else:
            self.queues.pop(name, None)


class RunInline(Backend):
    """inline(): each job runs as it is enqueued, in the enqueuing thread."""

    def push(self, payloads: list[Payload], at: float | None) -> None:
        for payload in payloads:
            run_payload(payload)


@contextmanager
def fake() -> Iterator[None]:
    """Keep this thread's enqueued jobs in memory (`MyJob.jobs`) instead of pushing them to Redis."""
    with routed_to(KeepInMemory()):
        yield


@contextmanager
def inline() -> Iterator[None]:
    """Run this thread's enqueued jobs at once, in process, instead of pushing them to Redis."""
    with routed_to(RunInline()):
        yield


def run_payload(payload: Payload) -> None:
    """Run one job from its payload the way a worker would (exceptions propagate).

    The payload goes through JSON and the worker's checks first, as it would through Redis.
    """
    checked = loads(dumps(payload))
    cls = lookup(checked.klass)
    if cls is None:
        raise LookupError(f"unknown job {checked.klass!r}")
    execution.perform(execution.prepare(checked, cls), checked.args)


def _keeping() -> KeepInMemory | None:
    backend = current_backend()
    return backend if isinstance(backend, KeepInMemory) else None


def jobs_for(cls: type[Job]) -> list[Payload]:
    """The payloads kept for `cls` by this thread's fake() (a live list)."""
    keeping = _keeping()
    return keeping.kept(job_name(cls)) if keeping is not None else []


def all_jobs() -> list[Payload]:
    """Every payload kept by this thread's fake(), all classes."""
    keeping = _keeping()
    queues = keeping.queues.values() if keeping is not None else ()
    return [payload for payloads in queues for payload in payloads]


def drain(cls: type[Job] | None = None) -> int:
    """Run kept jobs (of `cls`, or all) until none is left, including jobs they enqueue."""
    keeping = _keeping()
    return keeping.drain(job_name(cls) if cls is not None else None) if keeping is not None else 0


def clear(cls: type[Job] | None = None) -> None:
    """Forget kept jobs of `cls`, or of every class."""
    keeping = _keeping()
    if keeping is not None:
        keeping.clear(job_name(cls) if cls is not None else None)
