"""Run one job from its payload: the part the worker and the test modes share.

1. `resolve()` finds the registered class a checked payload names and checks that
   its arguments fit `perform()`; it never imports anything a payload names.
2. `prepare()` makes the instance describing this run (jid, queue, retry_count,
   payload).
3. `perform()` runs it (an `async def perform` too, in its own event loop).
4. `timeout_of()` says how long this run may take.
What happens after (acknowledgement, retry, dead) is the worker's business
(jobs/worker/executor.py), and the test modes let exceptions propagate.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jobs.exceptions import InvalidPayload, UnknownJob
from jobs.job import Job, arity_problem
from jobs.payload import JobPayload, positive
from jobs.registry import lookup


def resolve(payload: JobPayload) -> type[Job]:
    """The class `payload` names; UnknownJob or InvalidPayload when it cannot run."""
    cls = lookup(payload.klass)
    if cls is None:
        raise UnknownJob(f"unknown job {payload.klass!r}: no registered Job has that name")
    problem = arity_problem(cls, payload.args)
    if problem is not None:
        raise InvalidPayload(f"wrong arguments for {cls.__qualname__}.perform(): {problem}")
    return cls


def prepare(payload: JobPayload, cls: type[Job]) -> Job:
    """An instance of `cls` describing this run (jid, queue, retry_count, payload)."""
    job = cls()
    job.jid = payload.jid
    job.payload = payload
    count = payload.retry_count
    job.retry_count = count + 1 if count is not None else 0
    job.queue = payload.queue  # type: ignore[misc]  # the run's queue, over the class option
    return job


def perform(job: Job, args: list[Any]) -> None:
    """Call `job.perform(*args)`; a coroutine it returns is run to its end."""
    result = job.perform(*args)
    if inspect.iscoroutine(result):
        run_coroutine(result)


def run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run `coroutine` in an event loop of its own and return its result.

    A worker thread has no loop; a test-mode enqueue from async code (an async view, an
    async test) runs on a thread whose loop is busy, so the job gets a thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs-async") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def timeout_of(payload: Mapping[str, Any], cls: type[Job]) -> float | None:
    """Seconds this run may take: the payload's `timeout`, else the class's; None = no limit."""
    return positive(payload.get("timeout", cls.timeout))
