"""System checks (`manage.py check`): catch misconfiguration before a worker starts."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning

from jobs.conf import get_settings, settings_problems
from jobs.registry import registered
from jobs.retry import max_retries
from jobs.worker.lockfile import NETWORK_FILESYSTEMS, filesystem_type, state_dir

# Check ids by setting; any other bad value is jobs.E003, JOBS itself or an unknown key E004.
IDS = {"REDIS_URL": "jobs.E001", "QUEUES": "jobs.E002", None: "jobs.E004"}


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check JOBS: no unknown key, every value by its rule (jobs/conf.py), the heartbeat pair."""
    errors: list[CheckMessage] = [
        Error(problem.message, hint=problem.hint, id=IDS.get(problem.key, "jobs.E003"))
        for problem in settings_problems()
    ]
    settings = get_settings()
    ttl, interval = settings.HEARTBEAT_TTL, settings.HEARTBEAT_INTERVAL
    numbers = isinstance(ttl, int) and isinstance(interval, (int, float))
    if numbers and ttl < 2 * interval:
        errors.append(
            CheckWarning(
                "JOBS['HEARTBEAT_TTL'] is under twice HEARTBEAT_INTERVAL: a live worker may look dead",
                id="jobs.W001",
            )
        )
    return errors + check_state_dir(settings.STATE_DIR)


def check_state_dir(setting: object) -> list[CheckMessage]:
    """Warn when workers' lock files would sit on a network file system (flock unreliable)."""
    if setting is not None and not isinstance(setting, str):
        return []  # reported by its rule
    directory = state_dir(setting)
    kind = filesystem_type(directory)
    if kind not in NETWORK_FILESYSTEMS:
        return []
    return [
        CheckWarning(
            f"JOBS['STATE_DIR'] ({directory}) is on a network file system ({kind}): "
            "workers will not recover a dead predecessor's jobs at start",
            hint="Use a local directory (an emptyDir volume in Kubernetes); "
            "its jobs are recovered when its heartbeat expires.",
            id="jobs.W002",
        )
    ]


@register(Tags.compatibility)
def check_job_classes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the options of every registered Job class."""
    errors: list[CheckMessage] = []
    for name, cls in registered().items():
        retry = cls.retry
        valid_retry = isinstance(retry, bool) or (isinstance(retry, int) and retry >= 0)
        if not valid_retry or (max_retries(retry, 25) is None and retry is not False):
            errors.append(
                Error(
                    f"{name}.retry is {retry!r}; use True, False or a number of retries >= 0",
                    obj=cls,
                    id="jobs.E010",
                )
            )
        if not isinstance(cls.queue, str) or not cls.queue or any(c.isspace() for c in cls.queue):
            errors.append(
                Error(f"{name}.queue is {cls.queue!r}; use a queue name", obj=cls, id="jobs.E011")
            )
        for option in ("timeout", "retry_for"):
            value = getattr(cls, option)
            if value is not None and (
                not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0
            ):
                errors.append(
                    Error(
                        f"{name}.{option} is {value!r}; use seconds > 0 or None",
                        obj=cls,
                        id="jobs.E012",
                    )
                )
    return errors


@register(Tags.security, deploy=True)
def check_dashboard_credentials(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Basic-auth credentials must come as a pair, and not be missing in production."""
    settings = get_settings()
    username, password = settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD
    if bool(username) != bool(password):
        return [
            Error(
                "Only one of JOBS['ADMIN_USERNAME'] and JOBS['ADMIN_PASSWORD'] is set",
                hint="Set both (JOBS_ADMIN_USERNAME and JOBS_ADMIN_PASSWORD) or neither.",
                id="jobs.E040",
            )
        ]
    if not django_settings.DEBUG and not password:
        return [
            CheckWarning(
                "DEBUG is off and no dashboard credentials are set: only staff users logged in "
                "to the admin can open /admin/jobs/, and scripts cannot read metrics",
                hint="Set JOBS_ADMIN_USERNAME and JOBS_ADMIN_PASSWORD for Basic-auth access.",
                id="jobs.W040",
            )
        ]
    return []


@register(Tags.compatibility)
def check_job_queues(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn about job classes whose queue no worker reads by default."""
    configured = set(get_settings().queue_names())
    return [
        CheckWarning(
            f"{name} uses queue {cls.queue!r}, which is not in JOBS['QUEUES']; "
            "workers started without -q never run it",
            hint=f"Add {cls.queue!r} to JOBS['QUEUES'] or start a worker with -q {cls.queue}.",
            obj=cls,
            id="jobs.W010",
        )
        for name, cls in registered().items()
        if isinstance(cls.queue, str) and cls.queue not in configured
    ]
