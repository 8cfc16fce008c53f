"""Read the `JOBS` setting once, fill in defaults, and expose it as a typed object."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from jobs.queues import QueueConfigError, parse_entry

DEFAULT_QUEUES: list[Any] = [
    ("critical", 100),
    ("default", 50),
    ("mailers", 25),
    ("low_priority", 1),
]


@dataclass(frozen=True)
class JobsSettings:
    """Every knob of the app, with the default a Sidekiq user would expect."""

    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    QUEUES: list[Any] = field(default_factory=lambda: list(DEFAULT_QUEUES))
    CONCURRENCY: int = 10
    SHUTDOWN_TIMEOUT: float = 25.0
    ADMIN_USERNAME: str | None = None
    ADMIN_PASSWORD: str | None = None
    SCHEDULE: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Mean seconds between scheduled/retry polls, per live process (Sidekiq: 5).
    POLL_INTERVAL: float = 5.0
    # Seconds between heartbeats, and how long a silent process counts as alive.
    HEARTBEAT_INTERVAL: float = 5.0
    HEARTBEAT_TTL: int = 60
    # The dead set keeps at most this many jobs, none older than DEAD_TIMEOUT seconds.
    DEAD_MAX_JOBS: int = 10_000
    DEAD_TIMEOUT: int = 180 * 24 * 3600
    # How many times a job may take its worker down before it is sent to dead.
    MAX_RECOVERIES: int = 3
    DEFAULT_RETRY: int = 25
    ERROR_MESSAGE_MAX: int = 10_000
    # Mail: the backend that really sends, and the queue deliver_later uses.
    EMAIL_BACKEND: str = "django.core.mail.backends.smtp.EmailBackend"
    MAIL_QUEUE: str = "mailers"
    EMAIL_TIMEOUT: float = 30.0
    # Keep a worker's threads on one CPU core while its jobs are short (Linux; see
    # jobs/worker/affinity.py): GIL hand-offs across cores cost about half its speed.
    PIN_CPU: bool = True

    def queue_names(self) -> list[str]:
        """Names of the configured queues, in configured order, malformed entries skipped."""
        names: list[str] = []
        for entry in self.QUEUES:
            try:
                names.append(parse_entry(entry)[0])
            except QueueConfigError:
                continue  # reported by the system checks
        return names


@cache
def get_settings() -> JobsSettings:
    """Return the app's settings; cached until Django's settings change (tests)."""
    raw: dict[str, Any] = dict(getattr(settings, "JOBS", None) or {})
    known = JobsSettings.__dataclass_fields__
    values = {key: value for key, value in raw.items() if key in known}
    return JobsSettings(**values)


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "JOBS":
        get_settings.cache_clear()
