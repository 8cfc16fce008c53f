"""One run of a task in the worker, from the payload to the outcome in its record.

1. Find the task the payload names among the registered ones (nothing is imported);
   an unknown task or a malformed payload fails for good (FinalFailure: dead at once).
2. Number the attempt: 1 for a payload that never failed nor lost its worker (no
   Redis read), else one more than the record's last started attempt (one read).
3. Note the start (journal.py), send `task_started`, call the function (a coroutine
   function runs in an event loop of its own), with a TaskContext if it takes one.
4. Write the outcome with the job's acknowledgement (jobs.completion): SUCCESSFUL
   with the return value (JSON, capped), READY again with the error when a retry
   follows, FAILED when none does; then send `task_finished` for final outcomes.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jobs.completion import write_with_ack
from jobs.conf import get_settings
from jobs.exceptions import Discard
from jobs.redis import keys
from jobs.redis.connection import get_redis
from jobs.retry import max_retries
from jobs.tasks import journal, registry, store
from jobs.tasks.compat import (
    Task,
    TaskContext,
    TaskError,
    TaskResult,
    TaskResultStatus,
    normalize_json,
    task_finished,
    task_started,
)
from jobs.tasks.options import PENDING_TTL, TaskOptions
from jobs.tasks.results import Attempts, when

if TYPE_CHECKING:
    from jobs.job import Job


class FinalFailure(Exception):
    """A failure no retry can mend: the task goes to dead (FAILED) at once."""


class UnknownTask(FinalFailure):
    """The payload names a task this worker has not registered."""


class BadTaskPayload(FinalFailure):
    """The payload's arguments are not [args list, kwargs dict]."""


class TaskReturnError(FinalFailure):
    """The task returned something that is not JSON, or too big to keep."""


_worker: tuple[int, str] = (0, "")


def worker_id() -> str:
    """This process's id in `worker_ids`: host and pid (the start of its identity)."""
    global _worker  # noqa: PLW0603  (one id per process)
    pid = os.getpid()
    if _worker[0] != pid:
        _worker = (pid, f"{socket.gethostname()}:{pid}")
    return _worker[1]


def class_path(exc: BaseException) -> str:
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__}"


def cut_traceback(exc: BaseException, limit: int) -> str:
    """The formatted traceback, its start dropped (with a note) beyond `limit` characters."""
    text = "".join(traceback.format_exception(exc))
    if len(text) <= limit:
        return text
    dropped = len(text) - limit
    return (
        f"[traceback cut: its first {dropped} characters dropped, over the cap of "
        f"OPTIONS['MAX_TRACEBACK_CHARS'] = {limit}]\n" + text[dropped:]
    )


def find_task(payload: dict[str, Any]) -> tuple[Task[..., Any], list[Any], dict[str, Any]]:
    """The registered task a payload names, and its arguments; FinalFailure if unusable."""
    path = payload.get("display_class")
    task = registry.lookup(path) if isinstance(path, str) else None
    if task is None:
        shown = path[:200] if isinstance(path, str) else path
        raise UnknownTask(f"unknown task {shown!r}: no registered task has that path")
    args, kwargs = payload["args"]
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise BadTaskPayload("task arguments must be [args list, kwargs dict]")
    return task, args, kwargs


def options_of(task: Task[..., Any]) -> TaskOptions:
    settings = getattr(task.get_backend(), "settings", None)
    return settings if isinstance(settings, TaskOptions) else TaskOptions()


@dataclass
class Attempt:
    """One run of one task in this worker thread."""

    job: Job
    task: Task[..., Any]
    args: list[Any]
    kwargs: dict[str, Any]
    options: TaskOptions
    number: int = 1
    history: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    result: TaskResult[..., Any] | None = None

    @property
    def key(self) -> str:
        return keys.task_result(self.job.jid)

    @classmethod
    def begin(cls, job: Job) -> Attempt:
        task, args, kwargs = find_task(job.payload)
        attempt = cls(job, task, args, kwargs, options_of(task))
        payload = job.payload
        if "retry_count" in payload or payload.get("recoveries"):
            attempt.history = store.read(get_redis(), job.jid)
            attempt.number = Attempts.of(attempt.history).last() + 1
        return attempt

    def run(self) -> None:
        """Run the task and write its outcome; re-raise its failure for the worker."""
        n, me = self.number, worker_id()
        journal.note(("HSET", self.key, f"worker:{n}", me, f"started:{n}", repr(self.started)))
        result = self.result = self.task_result()
        task_started.send(type(self.task.get_backend()), task_result=result)
        try:
            value = self.call(result)
            text = self.encode(value)
        except Exception as exc:
            self.failed(exc)
            raise
        self.succeeded(value, text)

    def call(self, result: TaskResult[..., Any]) -> Any:
        func = self.task.func
        args = (
            [TaskContext(task_result=result), *self.args] if self.task.takes_context else self.args
        )
        if inspect.iscoroutinefunction(func):
            return asyncio.run(func(*args, **self.kwargs))
        return func(*args, **self.kwargs)

    def encode(self, value: Any) -> str:
        """The return value as JSON, or TaskReturnError saying why it cannot be kept."""
        path = self.task.module_path
        try:
            text = store.encode(normalize_json(value))
        except (TypeError, ValueError) as exc:
            raise TaskReturnError(
                f"{path} returned a {type(value).__qualname__}, which is not JSON ({exc}); "
                "return str, int, float, bool, None, or lists and dicts of them"
            ) from None
        size = len(text.encode("utf-8"))
        cap = self.options.MAX_RETURN_BYTES
        if size > cap:
            raise TaskReturnError(
                f"{path} returned {size} bytes of JSON, over the cap of "
                f"OPTIONS['MAX_RETURN_BYTES'] = {cap}; keep big results elsewhere"
            )
        return text

    def task_result(self) -> TaskResult[..., Any]:
        """The TaskResult of this attempt, RUNNING, with what earlier attempts left."""
        earlier = Attempts.of(self.history)
        started = [earlier.started[k] for k in sorted(earlier.started) if k < self.number]
        return TaskResult(
            task=self.task,
            id=self.job.jid,
            status=TaskResultStatus.RUNNING,
            enqueued_at=when(self.history.get("enqueued_at"))
            or when(str(self.job.payload.get("enqueued_at", ""))),
            started_at=when(started[0] if started else repr(self.started)),
            finished_at=None,
            last_attempted_at=when(repr(self.started)),
            args=self.args,
            kwargs=self.kwargs,
            backend=self.task.backend,
            errors=earlier.task_errors(),
            worker_ids=[earlier.workers[k] for k in sorted(earlier.workers) if k < self.number]
            + [worker_id()],
        )

    def outcome(self, status: str, *fields: Any) -> None:
        """Write this attempt's outcome with the job's acknowledgement."""
        n = self.number
        head: list[Any] = ["status", status, "done", n, f"worker:{n}", worker_id()]
        head += [f"started:{n}", repr(self.started)]
        write_with_ack("HSET", self.key, *head, *fields, *self.whole_record())
        ttl = PENDING_TTL if status == "READY" else self.options.RESULT_TTL
        write_with_ack("EXPIRE", self.key, ttl)

    def whole_record(self) -> list[Any]:
        """The enqueue-time fields, when the record may lack them (recurring, or expired)."""
        payload = self.job.payload
        if "recurring" not in payload and ("task" in self.history or self.number == 1):
            return []
        enqueued = payload.get("enqueued_at") or payload.get("created_at") or time.time()
        fields = store.record_fields(payload, self.task.backend, float(enqueued))
        return fields[: fields.index("status")] + fields[fields.index("status") + 2 :]

    def succeeded(self, value: Any, text: str) -> None:
        now = time.time()
        self.outcome("SUCCESSFUL", "finished_at", repr(now), "return_value", text)
        self.finish(TaskResultStatus.SUCCESSFUL, now, normalize_json(value))

    def failed(self, exc: Exception) -> None:
        error = {
            "exception_class_path": class_path(exc),
            "traceback": cut_traceback(exc, self.options.MAX_TRACEBACK_CHARS),
        }
        fields: list[Any] = [f"error:{self.number}", store.encode(error)]
        if self.retries_left(exc):
            self.outcome("READY", *fields)
            return
        now = time.time()
        self.outcome("FAILED", *fields, "finished_at", repr(now))
        if self.result is not None:
            self.result.errors.append(TaskError(**error))
        self.finish(TaskResultStatus.FAILED, now)

    def retries_left(self, exc: Exception) -> bool:
        """Whether the worker will retry this failure (as jobs.retry.decide() will say)."""
        if isinstance(exc, (FinalFailure, Discard)):
            return False
        payload = self.job.payload
        allowed = max_retries(payload.get("retry", True), get_settings().DEFAULT_RETRY)
        count = payload.get("retry_count")
        count = count + 1 if isinstance(count, int) and not isinstance(count, bool) else 0
        return allowed is not None and count < allowed

    def finish(self, status: TaskResultStatus, now: float, value: Any = None) -> None:
        result = self.result
        if result is None:
            return
        object.__setattr__(result, "status", status)
        object.__setattr__(result, "finished_at", when(repr(now)))
        if status == TaskResultStatus.SUCCESSFUL:
            object.__setattr__(result, "_return_value", value)
        task_finished.send(type(self.task.get_backend()), task_result=result)


def record_unrunnable(job: Job, error: FinalFailure) -> None:
    """Mark a record FAILED when its payload cannot run here (unknown task, bad arguments)."""
    entry = {"exception_class_path": class_path(error), "traceback": str(error)}
    key = keys.task_result(job.jid)
    write_with_ack("HSET", key, "status", "FAILED", "finished_at", repr(time.time()))
    write_with_ack("HSET", key, "error:1", store.encode(entry))
    write_with_ack("EXPIRE", key, TaskOptions().RESULT_TTL)
