"""The `Job` base class: options, the enqueue API, and the hooks a job may override."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.utils import timezone

from jobs import registry, unique
from jobs.arguments import check_args
from jobs.client import current_backend, enqueue
from jobs.payload import Payload, new_jid, new_jids, number

RetryOption = bool | int
# What retry_in() may answer: seconds, None for the default backoff, "kill" or "discard".
RetryDecision = float | int | str | None

# Copied into payloads as given.
_EXTRA_KEYS = ("timeout", "backtrace", "tags", "retry_queue", "retry_for")
_UNIQUE_KEYS = ("unique_for", "unique_until")
_OPTION_KEYS = frozenset({"queue", "retry", *_EXTRA_KEYS, *_UNIQUE_KEYS})


class _TestJobs:
    """`MyJob.jobs`: the payloads kept by `jobs.testing.fake()` for that class (in this thread)."""

    def __get__(self, instance: object, owner: type[Job]) -> list[Payload]:
        backend = current_backend()
        return backend.kept(registry.job_name(owner)) if backend is not None else []


class Job:
    """Subclass, set options as class attributes, and write `perform()`."""

    queue: ClassVar[str] = "default"
    retry: ClassVar[RetryOption] = True
    timeout: ClassVar[float | None] = None
    name: ClassVar[str | None] = None
    # None: the traceback is kept (jobs/backtrace.py); False: not kept; N: N frames.
    backtrace: ClassVar[bool | int | None] = None
    # Seconds after the first failure past which a failing job goes to dead (Sidekiq 7.1+).
    retry_for: ClassVar[float | None] = None
    # Seconds while an identical job (class, args, queue) pending makes enqueues no-ops
    # (jobs/unique.py); released on success ("success") or when the job starts ("start").
    unique_for: ClassVar[float | None] = None
    unique_until: ClassVar[str] = "success"
    # Set `abstract = True` on a base class that should not be registered itself.
    abstract: ClassVar[bool] = True

    jobs: ClassVar[_TestJobs] = _TestJobs()

    # Describe the current run; set by the worker before perform().
    jid: str = ""
    retry_count: int = 0
    payload: Payload

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unique.check_options(cls.unique_for, cls.unique_until)  # a clear error at definition
        if not cls.__dict__.get("abstract", False):
            registry.register(cls)

    def perform(self, *args: Any) -> object:
        """Do the work. Arguments are the JSON values given to perform_async()."""
        raise NotImplementedError(f"{type(self).__qualname__} must define perform()")

    # Hooks (override as needed).
    def retry_in(self, count: int, exc: BaseException) -> RetryDecision:
        """Seconds until retry `count` (0 = first), None for Sidekiq's backoff, or "kill"/"discard"."""
        return None

    def retries_exhausted(self, payload: Payload, exc: BaseException) -> None:
        """Called once when the job has no retries left and goes to the dead set."""

    # Enqueue API.
    @classmethod
    def set(cls, **options: Any) -> JobOptions:
        """Options for one call: queue, retry, retry_for, retry_queue, timeout, backtrace, tags,
        unique_for, unique_until, on_commit."""
        return JobOptions(cls, options)

    @classmethod
    def perform_async(cls, *args: Any) -> str | None:
        """Queue the job now (after commit inside a transaction); return its jid.

        None: a unique job (`unique_for`) whose identical twin is pending; nothing was pushed.
        """
        return _defaults(cls).perform_async(*args)

    @classmethod
    def perform_in(cls, interval: float | timedelta, *args: Any) -> str | None:
        """Run the job after `interval` seconds (or a timedelta)."""
        return _defaults(cls).perform_in(interval, *args)

    @classmethod
    def perform_at(cls, when: datetime | float, *args: Any) -> str | None:
        """Run the job at `when` (datetime, or epoch seconds)."""
        return _defaults(cls).perform_at(when, *args)

    @classmethod
    def perform_bulk(cls, args_list: Iterable[Sequence[Any]]) -> list[str | None]:
        """Queue one job per argument list in one round trip; return the jids (None: skipped)."""
        return _defaults(cls).perform_bulk(args_list)

    # Test helpers (jobs.testing.fake()).
    @classmethod
    def drain(cls) -> int:
        """Run this class's faked jobs now, including ones they enqueue; return how many ran."""
        backend = current_backend()
        return backend.drain(registry.job_name(cls)) if backend is not None else 0

    @classmethod
    def clear(cls) -> None:
        """Forget this class's faked jobs."""
        backend = current_backend()
        if backend is not None:
            backend.clear(registry.job_name(cls))


_signatures: dict[type[Job], inspect.Signature] = {}
_arities: dict[type[Job], tuple[int, int | None]] = {}
_names: dict[type[Job], list[str]] = {}


def perform_signature(cls: type[Job]) -> inspect.Signature:
    """The signature of `cls.perform`, computed once per class."""
    signature = _signatures.get(cls)
    if signature is None:
        signature = _signatures[cls] = inspect.signature(cls.perform)
    return signature


def arity(cls: type[Job]) -> tuple[int, int | None]:
    """(fewest, most) positional arguments `perform()` takes; most is None for *args."""
    bounds = _arities.get(cls)
    if bounds is None:
        params = list(perform_signature(cls).parameters.values())[1:]
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = [p for p in positional if p.default is p.empty]
        required_kw = [p for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
        star = any(p.kind is p.VAR_POSITIONAL for p in params)
        # A required keyword-only argument can never be given by a payload.
        fewest = len(required) if not required_kw else 10**9
        bounds = _arities[cls] = (fewest, None if star else len(positional))
    return bounds


def parameter_names(cls: type[Job]) -> list[str]:
    """Names of `perform()`'s parameters after self, for error messages."""
    names = _names.get(cls)
    if names is None:
        names = _names[cls] = [p.name for p in perform_signature(cls).parameters.values()][1:]
    return names


def arity_problem(cls: type[Job], args: Sequence[Any]) -> str | None:
    """Why `args` cannot be given to `perform()` (Python's own words), or None if they fit."""
    fewest, most = _arities.get(cls) or arity(cls)
    count = len(args)
    if fewest <= count and (most is None or count <= most):
        return None
    try:
        perform_signature(cls).bind(None, *args)
    except TypeError as exc:
        return str(exc)
    return f"takes {fewest}..{most} arguments, got {count}"


def check_call(cls: type[Job], args: Sequence[Any]) -> None:
    """Raise TypeError if `args` does not fit `perform()` or is not JSON-native."""
    where = f"{cls.__qualname__}.perform"
    problem = arity_problem(cls, args)
    if problem is not None:
        raise TypeError(f"{where}(): {problem}")
    check_args(args, where, parameter_names(cls))


class JobOptions:
    """A job class with per-call options, as returned by `Job.set(...)`."""

    def __init__(self, cls: type[Job], options: dict[str, Any]) -> None:
        unknown = set(options) - _OPTION_KEYS - {"on_commit"}
        if unknown:
            raise TypeError(f"unknown job option(s): {', '.join(sorted(unknown))}")
        self.cls = cls
        self.on_commit = bool(options.pop("on_commit", True))
        self.options = options
        check_args(
            [options.get("tags"), options.get("timeout"), options.get("retry_for")], "job options"
        )
        # Everything but args, jid and created_at, computed once for every job built here.
        head: Payload = {
            "retry": options.get("retry", cls.retry),
            "queue": options.get("queue", cls.queue),
        }
        tail: Payload = {key: options[key] for key in _EXTRA_KEYS if key in options}
        if "backtrace" not in tail and cls.backtrace is not None:
            tail["backtrace"] = cls.backtrace
        if "retry_for" not in tail and cls.retry_for is not None:
            tail["retry_for"] = cls.retry_for
        self._head, self._name, self._tail = head, registry.job_name(cls), tail
        self.unique_for = options.get("unique_for", cls.unique_for)
        self.unique_until = options.get("unique_until", cls.unique_until)
        unique.check_options(self.unique_for, self.unique_until)

    def set(self, **options: Any) -> JobOptions:
        """Add more options."""
        merged = {**self.options, "on_commit": self.on_commit, **options}
        return JobOptions(self.cls, merged)

    def build(self, args: Sequence[Any], now: float, jid: str | None = None) -> Payload:
        """Check `args` and build the payload in Sidekiq's key order."""
        check_call(self.cls, args)
        payload: Payload = {
            **self._head,
            "args": list(args),
            "class": self._name,
            "jid": jid or new_jid(),
            "created_at": now,
        }
        if self._tail:
            payload.update(self._tail)
        if self.unique_for:  # 0 and None: not unique
            unique.stamp(payload, self.unique_for, self.unique_until)
        return payload

    def perform_async(self, *args: Any) -> str | None:
        payload = self.build(args, time.time())
        return _jids([payload], enqueue([payload], on_commit=self.on_commit))[0]

    def perform_in(self, interval: float | timedelta, *args: Any) -> str | None:
        seconds = interval.total_seconds() if isinstance(interval, timedelta) else float(interval)
        return self.perform_at(time.time() + seconds, *args)

    def perform_at(self, when: datetime | float, *args: Any) -> str | None:
        at = _epoch(when)
        payload = self.build(args, time.time())
        return _jids([payload], enqueue([payload], at=at, on_commit=self.on_commit))[0]

    def perform_bulk(self, args_list: Iterable[Sequence[Any]]) -> list[str | None]:
        now = time.time()
        items = list(args_list)
        jids = new_jids(len(items))
        payloads = []
        for index, args in enumerate(items):
            if not isinstance(args, (list, tuple)):
                raise TypeError(f"perform_bulk item {index} is {type(args).__name__}, not a list")
            payloads.append(self.build(args, now, jids[index]))
        if not payloads:
            return []
        return _jids(payloads, enqueue(payloads, on_commit=self.on_commit))


def _jids(payloads: list[Payload], pushed: list[Payload] | None) -> list[str | None]:
    """Each payload's jid, None for one not pushed (None for `pushed`: all, after the commit)."""
    if pushed is None or len(pushed) == len(payloads):
        return [str(p["jid"]) for p in payloads]
    kept = {id(p) for p in pushed}
    return [str(p["jid"]) if id(p) in kept else None for p in payloads]


_default_options: dict[type[Job], JobOptions] = {}


def _defaults(cls: type[Job]) -> JobOptions:
    """The class's own options, built once (they are read-only after class creation)."""
    options = _default_options.get(cls)
    if options is None:
        options = _default_options[cls] = JobOptions(cls, {})
    return options


def _epoch(when: datetime | float) -> float:
    if isinstance(when, datetime):
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        return when.timestamp()
    seconds = number(when)
    if seconds is None:
        raise TypeError(
            f"perform_at() takes a datetime or epoch seconds, not {type(when).__name__}"
        )
    return seconds
