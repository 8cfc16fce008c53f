"""The `JOBS` setting as a typed object: every key, its default, and the rule it must follow.

1. `JobsSettings` names every key with the default a Sidekiq user would expect;
   each field carries its rule (`rule`), so a key cannot be added unchecked.
2. `get_settings()` reads `JOBS` once (again after Django's settings change in
   tests) and never raises: the app keeps working while `manage.py check`
   reports what is wrong (jobs/checks.py), and `runworker` refuses to start
   (even with --skip-checks).
3. `problems(raw)` is that report: unknown keys with the nearest valid name,
   then every value that breaks its rule. SCHEDULE is read by its owner,
   jobs/recurring (each entry needs the job registry).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from jobs.queue_order import QueueConfigError, QueueOrder, parse_entry
from jobs.redis import sentinel

DEFAULT_QUEUES: list[Any] = [
    ("critical", 100),
    ("default", 50),
    ("mailers", 25),
    ("low_priority", 1),
]
REDIS_SCHEMES = {"redis", "rediss", "unix"}


class Problem(NamedTuple):
    """One thing wrong with JOBS; `key` is the setting (None: JOBS itself or an unknown key)."""

    key: str | None
    message: str
    hint: str | None = None


# A rule reads one value and returns what is wrong with it, or None.
Rule = Callable[[str, Any], Problem | None]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def positive_int(key: str, value: Any) -> Problem | None:
    if _is_int(value) and value >= 1:
        return None
    return Problem(key, f"JOBS['{key}'] must be a positive integer, not {value!r}")


def count(key: str, value: Any) -> Problem | None:
    if _is_int(value) and value >= 0:
        return None
    return Problem(key, f"JOBS['{key}'] must be an integer >= 0, not {value!r}")


def positive_number(key: str, value: Any) -> Problem | None:
    if _is_number(value) and value > 0:
        return None
    return Problem(key, f"JOBS['{key}'] must be a positive number, not {value!r}")


def boolean(key: str, value: Any) -> Problem | None:
    if isinstance(value, bool):
        return None
    return Problem(key, f"JOBS['{key}'] must be True or False, not {value!r}")


def optional_text(key: str, value: Any) -> Problem | None:
    if value is None or isinstance(value, str):
        return None
    return Problem(key, f"JOBS['{key}'] must be a string or None, not {value!r}")


def secret_text(key: str, value: Any) -> Problem | None:
    """As optional_text, without echoing the value: check output ends up in CI logs."""
    if value is None or isinstance(value, str):
        return None
    return Problem(key, f"JOBS['{key}'] must be a string or None, not a {type(value).__name__}")


def dotted_path(key: str, value: Any) -> Problem | None:
    if isinstance(value, str) and "." in value.strip(".") and not any(c.isspace() for c in value):
        return None
    return Problem(key, f"JOBS['{key}'] must be the dotted path of a class, not {value!r}")


def queue_name(key: str, value: Any) -> Problem | None:
    if isinstance(value, str) and value and not any(c.isspace() for c in value):
        return None
    return Problem(key, f"JOBS['{key}'] must be a queue name, not {value!r}")


def redis_url(key: str, value: Any) -> Problem | None:
    hint = "Use redis://[:password@]host:port/db, rediss://... or unix:///path/to/socket"
    if sentinel.is_sentinel_url(value):
        try:
            sentinel.parse(value)
        except ValueError as exc:
            return Problem(key, f"JOBS['{key}'] is not a Sentinel URL: {exc}", sentinel.HINT)
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in REDIS_SCHEMES:
        return Problem(key, f"JOBS['{key}'] is not a Redis URL: {value!r}", hint)
    if parts.scheme != "unix" and not parts.hostname:
        return Problem(key, f"JOBS['{key}'] is not a Redis URL: {value!r}", hint)
    try:
        _ = parts.port
    except ValueError:
        return Problem(key, f"JOBS['{key}'] has an invalid port: {value!r}")
    return None


def durable_push(key: str, value: Any) -> Problem | None:
    """None (off), or how many replicas must have a push within how many milliseconds."""
    if value is None or (
        isinstance(value, Mapping)
        and set(value) == {"replicas", "timeout_ms"}
        and all(_is_int(number) and number >= 1 for number in value.values())
    ):
        return None
    return Problem(
        key,
        f"JOBS['{key}'] must be None or a dict of 'replicas' and 'timeout_ms', not {value!r}",
        'e.g. {"replicas": 1, "timeout_ms": 100}: positive integers.',
    )


def absolute_path(key: str, value: Any) -> Problem | None:
    """None (the default place) or an absolute path, e.g. a local volume's mount point."""
    if value is None or (isinstance(value, str) and value.startswith("/") and "\0" not in value):
        return None
    return Problem(
        key,
        f"JOBS['{key}'] must be an absolute path or None, not {value!r}",
        "A directory on a local file system, e.g. /run/jobs or an emptyDir volume's mount.",
    )


def queue_list(key: str, value: Any) -> Problem | None:
    hint = 'Entries are "name", "name,weight" or ("name", weight).'
    if isinstance(value, str):
        # Iterating a string would read every letter as a queue.
        return Problem(
            key, f"JOBS['{key}'] must be a list of queues, not the string {value!r}", hint
        )
    if not isinstance(value, (list, tuple)):
        return Problem(key, f"JOBS['{key}'] must be a list of queues, not {value!r}", hint)
    try:
        QueueOrder.from_entries(value)
    except QueueConfigError as exc:
        return Problem(key, f"JOBS['{key}']: {exc}", hint)
    return None


def owned_elsewhere(key: str, value: Any) -> Problem | None:
    """Checked by the package that reads it (see that field's comment)."""
    return None


def rule(check: Rule) -> dict[str, Rule]:
    """A settings field's metadata: the rule `problems` applies to its value."""
    return {"rule": check}


@dataclass(frozen=True)
class JobsSettings:
    """Every knob of the app, with the default a Sidekiq user would expect."""

    REDIS_URL: str = field(default="redis://127.0.0.1:6379/0", metadata=rule(redis_url))
    QUEUES: list[Any] = field(
        default_factory=lambda: list(DEFAULT_QUEUES), metadata=rule(queue_list)
    )
    CONCURRENCY: int = field(default=10, metadata=rule(positive_int))
    SHUTDOWN_TIMEOUT: float = field(default=25.0, metadata=rule(positive_number))
    ADMIN_USERNAME: str | None = field(default=None, metadata=rule(optional_text))
    ADMIN_PASSWORD: str | None = field(default=None, metadata=rule(secret_text))
    # Recurring jobs: checked entry by entry by jobs/recurring/checks.py.
    SCHEDULE: dict[str, dict[str, Any]] = field(
        default_factory=dict, metadata=rule(owned_elsewhere)
    )
    # Mean seconds between scheduled/retry polls, per live process (Sidekiq: 5).
    POLL_INTERVAL: float = field(default=5.0, metadata=rule(positive_number))
    # Seconds between heartbeats, and how long a silent process counts as alive.
    HEARTBEAT_INTERVAL: float = field(default=5.0, metadata=rule(positive_number))
    HEARTBEAT_TTL: int = field(default=60, metadata=rule(positive_int))
    # The dead set keeps at most this many jobs, none older than DEAD_TIMEOUT seconds.
    DEAD_MAX_JOBS: int = field(default=10_000, metadata=rule(positive_int))
    DEAD_TIMEOUT: int = field(default=180 * 24 * 3600, metadata=rule(positive_int))
    # How many worker deaths a job may be part of before it goes to dead (the last alone).
    MAX_RECOVERIES: int = field(default=3, metadata=rule(positive_int))
    DEFAULT_RETRY: int = field(default=25, metadata=rule(count))
    ERROR_MESSAGE_MAX: int = field(default=10_000, metadata=rule(positive_int))
    # Mail: the backend that really sends (jobs/mail/checks.py refuses the queued one),
    # and the queue deliver_later uses.
    EMAIL_BACKEND: str = field(
        default="django.core.mail.backends.smtp.EmailBackend", metadata=rule(dotted_path)
    )
    MAIL_QUEUE: str = field(default="mailers", metadata=rule(queue_name))
    EMAIL_TIMEOUT: float = field(default=30.0, metadata=rule(positive_number))
    # Keep a worker's threads on one CPU core while its jobs are short (Linux; see
    # jobs/worker/affinity.py): GIL hand-offs across cores cost about half its speed.
    PIN_CPU: bool = field(default=True, metadata=rule(boolean))
    # The history of finished jobs (jobs/history.py): kept this many seconds after a job's
    # last run, at most this many jobs (0 turns the history off).
    HISTORY_TTL: int = field(default=86_400, metadata=rule(positive_int))
    HISTORY_SIZE: int = field(default=100_000, metadata=rule(count))
    # Where each worker keeps its lock file (jobs/worker/lockfile.py), so a worker that
    # starts recovers at once the jobs of one that died on this host; None: the system
    # temp directory's jobs-<uid>. A local file system: flock is unreliable over NFS.
    STATE_DIR: str | None = field(default=None, metadata=rule(absolute_path))
    # Push, then WAIT until this many replicas have the job (docs/scale.md); None: off.
    DURABLE_PUSH: dict[str, int] | None = field(default=None, metadata=rule(durable_push))

    def queue_names(self) -> list[str]:
        """Names of the configured queues, in configured order, malformed entries skipped."""
        if not isinstance(self.QUEUES, (list, tuple)):
            return []  # reported by the system checks
        names: list[str] = []
        for entry in self.QUEUES:
            try:
                names.append(parse_entry(entry)[0])
            except QueueConfigError:
                continue  # reported by the system checks
        return names


KEYS = tuple(f.name for f in fields(JobsSettings))


def problems(raw: object) -> list[Problem]:
    """Everything wrong with a `JOBS` value: unknown keys first, then each bad value."""
    if not isinstance(raw, Mapping):
        return [Problem(None, f"JOBS must be a dict, not {raw!r}")]
    found: list[Problem | None] = [unknown_key(key) for key in raw if key not in KEYS]
    for spec in fields(JobsSettings):
        check = spec.metadata.get("rule")  # tests/test_conf.py makes sure every key has one
        if spec.name in raw and check is not None:
            found.append(check(spec.name, raw[spec.name]))
    return [problem for problem in found if problem is not None]


def settings_problems() -> list[Problem]:
    """`problems` of the JOBS setting in force (read afresh: checks run rarely)."""
    return problems(getattr(settings, "JOBS", None) or {})


def unknown_key(key: object) -> Problem:
    """Name the key jobs does not know, and the valid one it most looks like."""
    valid = ", ".join(KEYS)
    if not isinstance(key, str):
        return Problem(
            None, f"JOBS has a key that is not a setting name: {key!r}", f"Valid keys: {valid}"
        )
    close = difflib.get_close_matches(key.upper(), KEYS, n=1)
    guess = f"; did you mean {close[0]}?" if close else ""
    return Problem(None, f"JOBS[{key!r}] is not a setting of jobs{guess}", f"Valid keys: {valid}")


@cache
def get_settings() -> JobsSettings:
    """Return the app's settings; cached until Django's settings change (tests)."""
    raw = getattr(settings, "JOBS", None) or {}
    if not isinstance(raw, Mapping):
        return JobsSettings()  # reported by the system checks
    return JobsSettings(**{key: value for key, value in raw.items() if key in KEYS})


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "JOBS":
        get_settings.cache_clear()
