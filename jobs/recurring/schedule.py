"""Read `JOBS["SCHEDULE"]`: one `Entry` per valid item, one `EntryError` per invalid one.

    JOBS["SCHEDULE"] = {
        "hourly-cleanup": {"cron": "0 * * * *", "class": "myapp.jobs.CleanupJob"},
        "heartbeat": {"every": "30s", "class": "myapp.jobs.PingJob", "args": [1],
                      "queue": "low_priority", "tz": "Europe/Berlin", "catch_up": False},
    }

The class must be a registered Job (its dotted path or its `name`); nothing is
imported from the setting. Arguments are checked like perform_async()'s. A
django.tasks task runs the same way: `"task": "myapp.tasks.report"` instead of
`"class"`, with optional `"kwargs"` (jobs/tasks/recurring.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from jobs.conf import get_settings
from jobs.job import Job, JobOptions, check_call
from jobs.payload import Payload
from jobs.recurring.times import CronTimes, EveryTimes
from jobs.recurring.words import describe
from jobs.registry import job_name, lookup, registered
from jobs.tasks import recurring as tasks_recurring

KNOWN_KEYS = (
    "cron",
    "every",
    "class",
    "task",
    "args",
    "kwargs",
    "queue",
    "description",
    "enabled",
    "tz",
    "catch_up",
)


class EntryError(ValueError):
    """An invalid schedule entry: its name and every problem found in it."""

    def __init__(self, name: str, problems: list[str]) -> None:
        super().__init__(f"recurring entry {name!r}: " + "; ".join(problems))
        self.name = name
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    """One valid schedule entry."""

    name: str
    job: type[Job]
    times: CronTimes | EveryTimes
    args: list[Any] = field(default_factory=list)
    queue: str | None = None  # None: the job class's own queue
    description: str = ""
    enabled: bool = True  # as configured; the dashboard may override it in Redis
    catch_up: bool = True  # after downtime, run the most recent missed tick
    task: Any = None  # a django.tasks task run instead of `job` (jobs.tasks.recurring)
    kwargs: dict[str, Any] = field(default_factory=dict)  # the task's keyword arguments

    @property
    def tz(self) -> ZoneInfo:
        return self.times.tz

    @property
    def job_name(self) -> str:
        return str(self.task.module_path) if self.task is not None else job_name(self.job)

    @property
    def queue_name(self) -> str:
        if self.task is not None:
            return tasks_recurring.queue_of(self.task, self.queue)
        return self.queue or self.job.queue

    @property
    def schedule(self) -> str:
        """The schedule as configured: `cron 0 * * * *` or `every 30s`."""
        if isinstance(self.times, CronTimes):
            return f"cron {' '.join(self.times.fields)}"
        return f"every {self.times.count}{self.times.unit}"

    def words(self) -> str:
        """The schedule in words, e.g. "every 30 seconds"."""
        return describe(self.times)

    def next_after(self, t: float) -> int:
        """The first tick strictly after epoch `t`."""
        return self.times.next_after(t)

    def next_run(self, now: float | None = None) -> datetime:
        """The next tick after `now` (default: this machine's clock), in the entry's zone."""
        start = time.time() if now is None else now
        return datetime.fromtimestamp(self.next_after(start), self.tz)

    def payload(self, now: float, tick: int | None) -> Payload:
        """The job to push for `tick` (None: an "enqueue now" from the dashboard)."""
        if self.task is not None:
            payload = tasks_recurring.payload(self.task, self.args, self.kwargs, self.queue)
        else:
            options = {"queue": self.queue} if self.queue else {}
            payload = JobOptions(self.job, options).build(self.args, now)
        payload["recurring"] = self.name
        if tick is not None:
            payload["recurring_tick"] = tick
        payload["enqueued_at"] = now
        return payload


def load_schedule(schedule: object = None) -> tuple[list[Entry], list[EntryError]]:
    """Parse JOBS["SCHEDULE"] (or `schedule`): the valid entries and the errors, in order."""
    raw = get_settings().SCHEDULE if schedule is None else schedule
    if not isinstance(raw, dict):
        error = EntryError("*", [f"JOBS['SCHEDULE'] must be a dict, not {type(raw).__name__}"])
        return [], [error]
    entries: list[Entry] = []
    errors: list[EntryError] = []
    for name, item in raw.items():
        try:
            entries.append(parse_entry(name, item))
        except EntryError as exc:
            errors.append(exc)
    return entries, errors


def parse_entry(name: object, item: object, default_tz: str | None = None) -> Entry:
    """Check one entry; raise EntryError listing every problem found."""
    if not isinstance(name, str) or not name.strip():
        raise EntryError(label(name), ["the entry name must be a non-empty string"])
    if not isinstance(item, dict):
        raise EntryError(name, [f"must be a dict, not {type(item).__name__}"])
    problems: list[str] = []
    unknown = sorted(str(key) for key in item if key not in KNOWN_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(KNOWN_KEYS)}")
    tz = _zone(item.get("tz", default_tz or settings.TIME_ZONE or "UTC"), problems)
    times = _times(item, tz, problems) if tz is not None else None
    task = _task(item, problems)
    job = _job(item.get("class"), problems) if "task" not in item else _wrapper()
    args = item.get("args", [])
    if "task" not in item:
        _check_args(args, job, problems)
    elif not isinstance(args, list):
        problems.append(f"args must be a list, not {type(args).__name__}")
    _check_options(item, problems)
    if problems or job is None or times is None or (task is None and "task" in item):
        raise EntryError(name, problems)
    return Entry(
        name,
        job,
        times,
        list(args),
        item.get("queue"),
        item.get("description", ""),
        item.get("enabled", True),
        item.get("catch_up", True),
        task,
        dict(item.get("kwargs", {})),
    )


def label(name: object) -> str:
    """How an entry's name is shown: itself, or its repr when it is not a string."""
    return name if isinstance(name, str) else repr(name)


def find_job(name: object) -> type[Job] | None:
    """The registered Job called `name`: its registry name, or its dotted path."""
    if not isinstance(name, str):
        return None
    found = lookup(name)
    if found is not None:
        return found
    for cls in registered().values():
        if f"{cls.__module__}.{cls.__qualname__}" == name:
            return cls
    return None


def _task(item: dict[Any, Any], problems: list[str]) -> Any:
    """The django.tasks task the entry names (with its problems), or None for a Job entry."""
    path = item.get("task")
    if path is None:
        if "kwargs" in item:
            problems.append("kwargs go with a 'task' entry; a Job takes args only")
        return None
    if "class" in item:
        problems.append("give either 'class' (a Job) or 'task' (a django.tasks task), not both")
    task = tasks_recurring.find(path)
    if task is None:
        problems.append(
            f"task {path!r} is not a registered task of a jobs.tasks.JobsBackend "
            "(define it with @task in an installed app's tasks.py; use its dotted path)"
        )
        return None
    problems.extend(tasks_recurring.problems(task, item.get("args", []), item.get("kwargs", {})))
    return task


def _wrapper() -> type[Job] | None:
    return lookup("jobs.tasks.TaskJob")


def _job(name: object, problems: list[str]) -> type[Job] | None:
    if name is None:
        problems.append("needs a 'class' (the dotted path or `name` of a Job) or a 'task'")
        return None
    job = find_job(name)
    if job is None:
        problems.append(
            f"class {name!r} is not a registered Job "
            "(define it in an installed app's jobs.py; use its dotted path or its `name`)"
        )
    return job


def _check_args(args: object, job: type[Job] | None, problems: list[str]) -> None:
    if not isinstance(args, list):
        problems.append(f"args must be a list, not {type(args).__name__}")
    elif job is not None:
        try:
            check_call(job, args)
        except TypeError as exc:
            problems.append(f"args do not fit: {exc}")


def _check_options(item: dict[Any, Any], problems: list[str]) -> None:
    queue = item.get("queue")
    if queue is not None and (not isinstance(queue, str) or not queue or _has_space(queue)):
        problems.append(f"queue must be a queue name, not {queue!r}")
    for key in ("enabled", "catch_up"):
        if not isinstance(item.get(key, True), bool):
            problems.append(f"{key} must be True or False, not {item[key]!r}")
    if not isinstance(item.get("description", ""), str):
        problems.append("description must be a string")


def _zone(key: object, problems: list[str]) -> ZoneInfo | None:
    if not isinstance(key, str) or not key:
        problems.append(f"tz must be a time zone name, not {key!r}")
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"tz {key!r} is not a known time zone")
        return None


def _times(
    item: dict[Any, Any], tz: ZoneInfo, problems: list[str]
) -> CronTimes | EveryTimes | None:
    cron, every = item.get("cron"), item.get("every")
    if (cron is None) == (every is None):
        problems.append("needs exactly one of 'cron' and 'every'")
        return None
    spec = cron if cron is not None else every
    if not isinstance(spec, str):
        problems.append(f"{'cron' if cron is not None else 'every'} must be a string, not {spec!r}")
        return None
    try:
        return CronTimes(spec, tz) if cron is not None else EveryTimes(spec, tz)
    except ValueError as exc:
        problems.append(str(exc))
        return None


def _has_space(text: str) -> bool:
    return any(char.isspace() for char in text)
