"""Hide values that look secret before anything reaches a screen.

1. `redact` hides values stored under secret-looking mapping keys (`password`, `api_key`).
2. `redact_args` also hides positional arguments whose `perform()` parameter is named
   like a secret (`def perform(self, user_id, api_token)`), for job classes, mailer
   methods and django.tasks tasks already registered in this process. A class named in Redis is looked up in
   the registries only: nothing is ever imported because a payload says so, and an
   unknown class is shown with the key rule alone.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jobs.mail.registry import lookup_mailer
from jobs.registry import lookup
from jobs.tasks.registry import lookup as lookup_task

REDACTED = "[redacted]"
# Matches password, api_key, accessToken, client_secret, Authorization, ...
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|key|credential|signature|cookie|session|^auth(_|$)"
    r"|authorization",
    re.IGNORECASE,
)
# Deeper structures are cut here: no recursion limit is ever reached on hostile input.
MAX_DEPTH = 32
TOO_DEEP = "[nested too deep]"
MAIL_JOB = "jobs.mail.jobs.MailDeliveryJob"  # args: mailer, method, args, language, kwargs
TASK_JOB = "jobs.tasks.TaskJob"  # args: the task's args, its kwargs; display_class: its path


def is_secret(key: str) -> bool:
    """Whether a mapping key (or a parameter name) names something that must not be shown."""
    return bool(SECRET_KEY.search(key))


def redact(value: Any, depth: int = 0) -> Any:
    """Copy `value` (parsed JSON) with secret-looking keys' values replaced."""
    if depth > MAX_DEPTH:
        return TOO_DEEP
    if isinstance(value, dict):
        return {
            key: REDACTED if is_secret(str(key)) else redact(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, depth + 1) for item in value]
    return value


@lru_cache(maxsize=1024)
def _secret_positions(func: Callable[..., Any], skip: int = 1) -> frozenset[int]:
    """Indexes of positional parameters (after `self`) whose names look secret."""
    try:
        parameters = list(inspect.signature(func).parameters.values())[skip:]
    except (TypeError, ValueError):
        return frozenset()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return frozenset(
        index
        for index, parameter in enumerate(parameters)
        if parameter.kind in positional and is_secret(parameter.name)
    )


def _by_position(args: list[Any], secret: frozenset[int]) -> list[Any]:
    return [REDACTED if i in secret else redact(arg, 1) for i, arg in enumerate(args)]


def _mail_args(args: list[Any]) -> list[Any]:
    """A mail job's own args, with its mailer method's secret-named arguments hidden."""
    mailer, method, inner = args[0], args[1], args[2]
    cls = lookup_mailer(mailer) if isinstance(mailer, str) else None
    if cls is None or method not in cls.mailer_methods or not isinstance(inner, list):
        return redact(args)  # type: ignore[no-any-return]
    found = inspect.getattr_static(cls, method, None)  # the MailerMethod, not its __get__
    func = getattr(found, "func", found)
    secret = _secret_positions(func) if callable(func) else frozenset()
    return [mailer, method, _by_position(inner, secret), *redact(args[3:])]


def _task_args(path: object, args: list[Any]) -> list[Any]:
    """A task's `[args, kwargs]`, its secret-named positional arguments hidden too."""
    task = lookup_task(path) if isinstance(path, str) else None
    func = getattr(task, "func", None)
    if not callable(func) or not isinstance(args[0], list):
        return redact(args)  # type: ignore[no-any-return]
    return [_by_position(args[0], _secret_positions(func, 0)), *redact(args[1:])]


def redact_args(klass: str, args: list[Any], shown: object = None) -> list[Any]:
    """`args` of a job of class `klass` with secret keys and secret-named positions hidden
    (`shown`: the payload's `display_class`, which names a task)."""
    if klass == MAIL_JOB and len(args) >= 3:
        return _mail_args(args)
    if klass == TASK_JOB and args:
        return _task_args(shown, args)
    cls = lookup(klass)
    perform = getattr(cls, "perform", None) if cls is not None else None
    if perform is None:
        return redact(args)  # type: ignore[no-any-return]
    return _by_position(args, _secret_positions(perform))


def redact_payload(data: dict[str, Any]) -> Any:
    """A whole payload with secrets hidden, its `args` by position as well as by key."""
    shown = redact(data)
    args, klass = data.get("args"), data.get("class")
    if isinstance(shown, dict) and isinstance(args, list) and isinstance(klass, str):
        shown["args"] = redact_args(klass, args, data.get("display_class"))
    return shown
