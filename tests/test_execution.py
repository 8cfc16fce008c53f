"""The decode-and-run part shared by the worker and the test modes (jobs.execution)."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jobs import Job
from jobs.exceptions import InvalidPayload, UnknownJob
from jobs.execution import perform, prepare, resolve, timeout_of
from jobs.payload import loads


class AddJob(Job):
    queue = "low"
    timeout = 30

    def perform(self, a: int, b: int = 0) -> None:
        self.result = a + b


class AsyncAddJob(Job):
    def perform(self, a: int) -> Any:
        async def add() -> None:
            self.result = a + 1

        return add()


def payload_of(cls: type[Job], args: list[Any], **extra: Any) -> Any:
    name = f"{cls.__module__}.{cls.__qualname__}"
    return loads(json.dumps({"class": name, "args": args, "jid": "j1", **extra}))


def test_resolve_finds_the_registered_class() -> None:
    assert resolve(payload_of(AddJob, [1])) is AddJob


def test_resolve_refuses_an_unknown_class_without_importing_it() -> None:
    with pytest.raises(UnknownJob, match=r"unknown job 'os\.system'"):
        resolve(loads('{"class":"os.system","args":["true"],"jid":"j"}'))


@pytest.mark.parametrize("args", [[], [1, 2, 3]])
def test_resolve_refuses_arguments_perform_cannot_take(args: list[int]) -> None:
    with pytest.raises(InvalidPayload, match=r"wrong arguments for AddJob.perform\(\): "):
        resolve(payload_of(AddJob, args))


def test_an_arity_problem_reads_the_same_at_enqueue() -> None:
    with pytest.raises(TypeError, match=r"AddJob.perform\(\): too many positional arguments"):
        AddJob.perform_async(1, 2, 3)


@pytest.mark.parametrize(("stored", "expected"), [(None, 0), (0, 1), (4, 5), (True, 0)])
def test_prepare_describes_the_run(stored: object, expected: int) -> None:
    extra = {} if stored is None else {"retry_count": stored}
    payload = payload_of(AddJob, [1], queue="critical", **extra)
    job = prepare(payload, AddJob)
    assert (job.jid, job.queue, job.retry_count) == ("j1", "critical", expected)
    assert job.payload is payload


def test_perform_runs_plain_and_async_jobs() -> None:
    job = prepare(payload_of(AddJob, [2, 3]), AddJob)
    perform(job, [2, 3])
    assert job.result == 5  # type: ignore[attr-defined]
    async_job = prepare(payload_of(AsyncAddJob, [2]), AsyncAddJob)
    perform(async_job, [2])
    assert async_job.result == 3  # type: ignore[attr-defined]


def test_an_async_job_runs_from_a_thread_whose_event_loop_is_busy() -> None:
    """inline() under async code: asyncio.run() alone would refuse a running loop."""
    async_job = prepare(payload_of(AsyncAddJob, [4]), AsyncAddJob)

    async def enqueue_from_async_code() -> None:
        perform(async_job, [4])

    # In a thread of its own: the test's thread may hold a loop already (playwright's).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, enqueue_from_async_code()).result()
    assert async_job.result == 5  # type: ignore[attr-defined]


def test_timeout_is_the_payloads_else_the_classes() -> None:
    assert timeout_of({"timeout": 5}, AddJob) == 5.0
    assert timeout_of({}, AddJob) == 30.0
    assert timeout_of({"timeout": True}, AddJob) is None  # set, but unusable
    assert timeout_of({}, AsyncAddJob) is None
