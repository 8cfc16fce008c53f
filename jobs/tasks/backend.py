"""`JobsBackend`: Django's task API on top of this app's queues, worker and dashboard.

1. Enqueue: check the task and its arguments (JSON), build a Sidekiq payload whose
   class is the wrapper job and whose `display_class` is the task's path, and push it
   with its READY record in one MULTI (store.py), after the transaction commits.
2. Results: `get_result` reads the record from any process (results.py).
3. Honest capability flags: defer (the schedule set), async tasks (run in the worker
   with asyncio), get_result; no priority (queues are weighted, see docs/tasks.md).
4. `check()`: the OPTIONS, and task queues no worker reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ParamSpec, TypeAlias, TypeVar

from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning
from django.db import DEFAULT_DB_ALIAS, transaction

from jobs import tracing
from jobs.arguments import check_args
from jobs.client import in_transaction
from jobs.conf import get_settings
from jobs.payload import Payload, new_jid
from jobs.redis.connection import get_redis
from jobs.tasks import registry, results, store
from jobs.tasks.compat import (
    DEFAULT_TASK_PRIORITY,
    BaseTaskBackend,
    InvalidTask,
    Task,
    TaskResult,
    TaskResultDoesNotExist,
    TaskResultStatus,
    normalize_json,
    task_enqueued,
)
from jobs.tasks.options import PENDING_TTL, parse_options
from jobs.tasks.store import WRAPPER

_P = ParamSpec("_P")
_R = TypeVar("_R")

if TYPE_CHECKING:
    _TaskBase: TypeAlias = Task[..., Any]
else:
    _TaskBase = Task


@dataclass(frozen=True, slots=True, kw_only=True)
class JobsTask(_TaskBase):
    """A task of a JobsBackend: Django's Task, plus per-task options given to `@task(...)`."""

    retry: int | None = None  # retries after a failure; None: the backend's OPTIONS["RETRY"]
    enqueue_on_commit: bool | None = None  # None: the backend's OPTIONS["ENQUEUE_ON_COMMIT"]

    def __post_init__(self) -> None:
        Task.__post_init__(self)  # validates (zero-argument super() fails in a slots class)
        registry.register(self)


def _check_arguments(task: Task[..., Any], args: list[Any], kwargs: dict[str, Any]) -> None:
    where = f"{task.module_path}()"
    check_args(args, where)
    check_args(list(kwargs.values()), where, [f"{name}=" for name in kwargs])
    for name in kwargs:
        if not isinstance(name, str):
            raise TypeError(f"{where}: keyword {name!r} is not a string")


def _normalized(task: Task[..., Any], args: Any, kwargs: Any) -> tuple[list[Any], dict[str, Any]]:
    """Arguments as Django shows them (tuples as lists...), checked to survive JSON unchanged."""
    try:
        normal_args = list(normalize_json(list(args)))  # type: ignore[arg-type]
        normal_kwargs = dict(normalize_json(dict(kwargs)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        _check_arguments(task, list(args), dict(kwargs))  # says which argument, and why
        raise
    _check_arguments(task, normal_args, normal_kwargs)
    return normal_args, normal_kwargs


class JobsBackend(BaseTaskBackend):
    """Run django.tasks tasks with `manage.py runworker`, results kept in Redis."""

    task_class = JobsTask
    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.settings = parse_options(params.get("OPTIONS"))

    def validate_task(self, task: Task[..., Any]) -> None:
        """Django's checks, with clearer words for what this backend refuses."""
        if task.priority != DEFAULT_TASK_PRIORITY:
            raise InvalidTask(
                f"{type(self).__name__} does not order tasks by priority (got "
                f"priority={task.priority!r}); send urgent tasks to a queue with a higher "
                "weight in JOBS['QUEUES'] instead: .using(queue_name='critical')"
            )
        retry = getattr(task, "retry", None)
        if retry is not None and (
            isinstance(retry, bool) or not isinstance(retry, int) or retry < 0
        ):
            raise InvalidTask(f"retry must be a whole number >= 0 (0 = no retry), not {retry!r}")
        super().validate_task(task)

    def enqueue(
        self, task: Task[_P, _R], args: list[Any], kwargs: dict[str, Any]
    ) -> TaskResult[_P, _R]:
        """Queue the task (after the commit inside a transaction); its result is READY."""
        self.validate_task(task)
        args, kwargs = _normalized(task, args, kwargs)
        payload = self.build_payload(task, args, kwargs)
        tracing.inject([payload])  # the caller's trace continues into the task (OpenTelemetry)
        result = TaskResult(
            task=task,
            id=payload["jid"],
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            finished_at=None,
            last_attempted_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        at = task.run_after.timestamp() if task.run_after is not None else None
        push = partial(self._push, payload, at, result)
        on_commit = getattr(task, "enqueue_on_commit", None)
        if on_commit is None:
            on_commit = self.settings.ENQUEUE_ON_COMMIT
        if on_commit and in_transaction():
            transaction.on_commit(push, using=DEFAULT_DB_ALIAS)
        else:
            push()
        return result

    def build_payload(
        self, task: Task[..., Any], args: list[Any], kwargs: dict[str, Any]
    ) -> Payload:
        """The Sidekiq payload of one run of `task`."""
        retry = getattr(task, "retry", None)
        return {
            "retry": self.settings.RETRY if retry is None else retry,
            "queue": task.queue_name,
            "args": [args, kwargs],
            "class": WRAPPER,
            "jid": new_jid(),
            "created_at": time.time(),
            "display_class": task.module_path,
            "backend": self.alias,
        }

    def _push(self, payload: Payload, at: float | None, result: TaskResult[Any, Any]) -> None:
        now = time.time()
        commands = store.push_commands(payload, self.alias, at, PENDING_TTL, now)
        store.send(commands, f"task {payload['display_class']}")
        object.__setattr__(result, "enqueued_at", datetime.fromtimestamp(now, UTC))
        task_enqueued.send(type(self), task_result=result)

    def get_result(self, result_id: str) -> TaskResult[..., Any]:
        """The task's result as stored now, from any process."""
        if not isinstance(result_id, str) or not 0 < len(result_id) <= 64:
            raise TaskResultDoesNotExist(f"no task result {result_id!r}")
        return results.to_result(result_id, store.read(get_redis(), result_id))

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        """The OPTIONS, and queues of this backend that no worker reads."""
        found: list[CheckMessage] = [
            Error(f"TASKS[{self.alias!r}]: {problem}", id="jobs.E040")
            for problem in self.settings.problems
        ]
        served = set(get_settings().queue_names())
        for queue in sorted(self.queues - served):
            found.append(
                CheckWarning(
                    f"TASKS[{self.alias!r}] allows queue {queue!r}, which is not in "
                    "JOBS['QUEUES']: no worker reads it",
                    hint="Add it to JOBS['QUEUES'], or remove it from the backend's QUEUES.",
                    id="jobs.W041",
                )
            )
        return found
