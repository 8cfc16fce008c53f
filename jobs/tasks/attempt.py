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
import time
from typing import TYPE_CHECKING, Any

from jobs.completion import write_own
from jobs.conf import get_settings
from jobs.exceptions import Discard
from jobs.redis import keys
from jobs.redis.connection import get_redis
from jobs.retry import max_retries
from jobs.tasks import journal, signals, store
from jobs.tasks.compat import (
    BaseTaskBackend,
    Task,
    TaskContext,
    TaskError,
    TaskResult,
    TaskResultStatus,
    normalize_json,
    task_finished,
    task_started,
)
from jobs.tasks.errors import (
    FinalFailure,
    TaskReturnError,
    class_path,
    cut_traceback,
    find_task,
)
from jobs.tasks.options import PENDING_TTL, TaskOptions
from jobs.tasks.results import Attempts, when
from jobs.tasks.runtime import backend_of, is_async, moment, options_of, worker_id

if TYPE_CHECKING:
    from jobs.job import Job


_SCALARS = frozenset({type(None), str, int, float, bool})


class Attempt:
    """One run of one task in this worker thread.

    A plain class with slots, not a dataclass: one is made per task run, and the
    dataclass machinery (default factories, __post_init__) cost a tenth of a no-op task.
    """

    __slots__ = (
        "args", "backend", "history", "job", "key", "kwargs", "number", "options", "result",
        "started", "task",
    )  # fmt: skip

    def __init__(
        self,
        job: Job,
        task: Task[..., Any],
        args: list[Any],
        kwargs: dict[str, Any],
        backend: BaseTaskBackend,
    ) -> None:
        self.job = job
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.backend = backend
        self.number = 1
        self.history: dict[str, str] = {}
        self.started = time.time()
        self.result: TaskResult[..., Any] | None = None
        self.key = keys.task_result(job.jid)
        self.options = options_of(backend)

    @classmethod
    def begin(cls, job: Job) -> Attempt:
        task, args, kwargs = find_task(job.payload)
        attempt = cls(job, task, args, kwargs, backend_of(task, job.payload.get("backend")))
        payload = job.payload
        # Failed before, or recovered from a dead worker (blamed or only beside the death).
        if "retry_count" in payload or payload.get("recoveries") or payload.get("suspected"):
            attempt.history = store.read(get_redis(), job.jid)
            attempt.number = Attempts.of(attempt.history).last() + 1
        return attempt

    def run(self) -> None:
        """Run the task and write its outcome; re-raise its failure for the worker."""
        starts = journal.journal()
        starts.started((self.key, self.number, worker_id(), self.started))
        announce = signals.started_wanted()
        if announce or self.task.takes_context:
            self.result = self.task_result()
        if announce:
            task_started.send(type(self.backend), task_result=self.result)
        try:
            value, text = self.encode(self.call())
        except Exception as exc:
            starts.ended(self.key)
            self.failed(exc)
            raise
        starts.ended(self.key)
        self.succeeded(value, text)

    def call(self) -> Any:
        func = self.task.func
        args = self.args
        if self.result is not None and self.task.takes_context:
            args = [TaskContext(task_result=self.result), *args]
        if is_async(func):
            return asyncio.run(func(*args, **self.kwargs))
        return func(*args, **self.kwargs)

    def encode(self, value: Any) -> tuple[Any, str]:
        """The return value as Django shows it and as JSON; TaskReturnError if it cannot be kept."""
        path = self.task.module_path
        try:
            if type(value) not in _SCALARS:  # the commonest returns need no normalizing
                value = normalize_json(value)
            text = store.encode(value)
        except (TypeError, ValueError) as exc:
            raise TaskReturnError(
                f"{path} returned a {type(value).__qualname__}, which is not JSON ({exc}); "
                "return str, int, float, bool, None, or lists and dicts of them"
            ) from None
        cap = self.options.MAX_RETURN_BYTES
        size = len(text) if len(text) * 4 <= cap else len(text.encode("utf-8"))  # UTF-8: <= 4 B
        if size > cap:
            raise TaskReturnError(
                f"{path} returned {size} bytes of JSON, over the cap of "
                f"OPTIONS['MAX_RETURN_BYTES'] = {cap}; keep big results elsewhere"
            )
        return value, text

    def task_result(self) -> TaskResult[..., Any]:
        """The TaskResult of this attempt, RUNNING, with what earlier attempts left."""
        now = moment(self.started)
        result = TaskResult(
            task=self.task,
            id=self.job.jid,
            status=TaskResultStatus.RUNNING,
            enqueued_at=moment(self.job.payload.get("enqueued_at")),
            started_at=now,
            finished_at=None,
            last_attempted_at=now,
            args=self.args,
            kwargs=self.kwargs,
            backend=self.backend.alias,
            errors=[],
            worker_ids=[worker_id()],
        )
        if self.history:  # a later attempt: what the earlier ones left
            earlier = Attempts.of(self.history)
            first = min(earlier.started, default=None)
            if first is not None and first < self.number:
                object.__setattr__(result, "started_at", when(earlier.started[first]))
            enqueued = when(self.history.get("enqueued_at"))
            object.__setattr__(result, "enqueued_at", enqueued or result.enqueued_at)
            result.errors[:0] = earlier.task_errors()
            ids = [earlier.workers[k] for k in sorted(earlier.workers) if k < self.number]
            result.worker_ids[:0] = ids
        return result

    def outcome(self, status: str, *fields: Any) -> None:
        """Write this attempt's outcome with the job's acknowledgement."""
        n = self.number
        ttl = PENDING_TTL if status == "READY" else self.options.RESULT_TTL
        write_own(
            (
                "HSET", self.key, "status", status, "done", n, f"worker:{n}", worker_id(),
                f"started:{n}", repr(self.started), *fields, *self.whole_record(),
            ),
            ("EXPIRE", self.key, ttl),
        )  # fmt: skip

    def whole_record(self) -> list[Any]:
        """The enqueue-time fields, when the record may lack them (recurring, or expired)."""
        payload = self.job.payload
        if "recurring" not in payload and ("task" in self.history or self.number == 1):
            return []
        enqueued = payload.get("enqueued_at") or payload.get("created_at") or time.time()
        fields = store.record_fields(payload, self.backend.alias, float(enqueued))
        return fields[: fields.index("status")] + fields[fields.index("status") + 2 :]

    def succeeded(self, value: Any, text: str) -> None:
        now = time.time()
        self.outcome("SUCCESSFUL", "finished_at", repr(now), "return_value", text)
        self.finish(TaskResultStatus.SUCCESSFUL, now, value)

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
        self.finish(TaskResultStatus.FAILED, now, error=TaskError(**error))

    def retries_left(self, exc: Exception) -> bool:
        """Whether the worker will retry this failure (as jobs.retry.decide() will say)."""
        if isinstance(exc, (FinalFailure, Discard)):
            return False
        payload = self.job.payload
        allowed = max_retries(payload.get("retry", True), get_settings().DEFAULT_RETRY)
        return allowed is not None and self.job.retry_count < allowed  # this failure's count

    def finish(
        self, status: TaskResultStatus, now: float, value: Any = None, error: Any = None
    ) -> None:
        """Send `task_finished` with the final TaskResult (if anyone can observe it)."""
        if not signals.finished_wanted(status == TaskResultStatus.FAILED):
            return
        result = self.result or self.task_result()
        if error is not None:
            result.errors.append(error)
        object.__setattr__(result, "status", status)
        object.__setattr__(result, "finished_at", moment(now))
        if status == TaskResultStatus.SUCCESSFUL:
            object.__setattr__(result, "_return_value", value)
        task_finished.send(type(self.backend), task_result=result)


def record_unrunnable(job: Job, error: FinalFailure) -> None:
    """Mark a record FAILED when its payload cannot run here (unknown task, bad arguments)."""
    entry = {"exception_class_path": class_path(error), "traceback": str(error)}
    key, now = keys.task_result(job.jid), repr(time.time())
    write_own(
        ("HSET", key, "status", "FAILED", "finished_at", now, "error:1", store.encode(entry)),
        ("EXPIRE", key, TaskOptions().RESULT_TTL),
    )
