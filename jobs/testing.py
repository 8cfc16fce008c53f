"""Test modes, as Sidekiq::Testing: keep jobs in memory (`fake`) or run them at once (`inline`).

    with testing.fake():
        MoodSenderJob.perform_async("a", "b")
        assert len(MoodSenderJob.jobs) == 1
        MoodSenderJob.drain()

Both modes round-trip arguments through JSON, exactly as Redis would, and keep
the on_commit behaviour: a job enqueued in a rolled-back transaction never appears.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from jobs.client import set_interceptor
from jobs.payload import Payload, dumps
from jobs.registry import job_name, lookup

if TYPE_CHECKING:
    from jobs.job import Job

_queues: dict[str, list[Payload]] = {}


def _keep(payloads: list[Payload], at: float | None) -> None:
    for payload in payloads:
        kept = json.loads(dumps(payload))
        if at is not None:
            kept["at"] = at
        _queues.setdefault(kept["class"], []).append(kept)


def _run_now(payloads: list[Payload], at: float | None) -> None:
    for payload in payloads:
        run_payload(json.loads(dumps(payload)))


@contextmanager
def fake() -> Iterator[None]:
    """Keep enqueued jobs in memory (`MyJob.jobs`) instead of pushing them to Redis."""
    previous = set_interceptor(_keep)
    try:
        yield
    finally:
        set_interceptor(previous)
        _queues.clear()


@contextmanager
def inline() -> Iterator[None]:
    """Run enqueued jobs at once, in this process, instead of pushing them to Redis."""
    previous = set_interceptor(_run_now)
    try:
        yield
    finally:
        set_interceptor(previous)


def run_payload(payload: Payload) -> None:
    """Run one job from its payload the way a worker would (exceptions propagate)."""
    cls = lookup(payload["class"])
    if cls is None:
        raise LookupError(f"unknown job {payload['class']!r}")
    from jobs.worker.processor import Processor

    job = Processor.prepare(payload, cls)
    job.perform(*payload["args"])


def jobs_for(cls: type[Job]) -> list[Payload]:
    """The payloads kept for `cls` by fake() (a live list)."""
    return _queues.setdefault(job_name(cls), [])


def all_jobs() -> list[Payload]:
    """Every payload kept by fake(), all classes."""
    return [payload for payloads in _queues.values() for payload in payloads]


def drain(cls: type[Job] | None = None) -> int:
    """Run kept jobs (of `cls`, or all) until none is left, including jobs they enqueue."""
    ran = 0
    while True:
        names = [job_name(cls)] if cls is not None else list(_queues)
        batch = [(name, _queues[name].pop(0)) for name in names if _queues.get(name)]
        if not batch:
            return ran
        for _, payload in batch:
            run_payload(payload)
            ran += 1


def clear(cls: type[Job] | None = None) -> None:
    """Forget kept jobs of `cls`, or of every class."""
    if cls is None:
        _queues.clear()
    else:
        _queues.pop(job_name(cls), None)
