"""Start-up: register the wrapper job and import every installed app's `tasks.py`.

Called from `JobsConfig.ready()`; it sits above every other module of the package,
and none of them imports it.
"""

from __future__ import annotations

from jobs.tasks.framework import available


def uses_jobs_backend() -> bool:
    """True when some alias of the TASKS setting names a JobsBackend (or a subclass)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from jobs.tasks.backend import JobsBackend

    for params in (getattr(settings, "TASKS", None) or {}).values():
        path = params.get("BACKEND") if isinstance(params, dict) else None
        if not isinstance(path, str):
            continue
        try:
            backend = import_string(path)  # the settings are trusted, unlike payloads
        except ImportError:
            continue  # reported by Django's own check
        if isinstance(backend, type) and issubclass(backend, JobsBackend):
            return True
    return False


def discover() -> None:
    """At start-up: register the wrapper job, and import every installed app's `tasks.py`.

    Only when TASKS uses a JobsBackend: other projects may keep unrelated `tasks.py`
    modules (Celery's, say) that nothing asked us to import.
    """
    from jobs.tasks import checks  # noqa: F401  (registers the check)

    if not available():
        return
    from django.utils.module_loading import autodiscover_modules

    from jobs.tasks import wrapper  # noqa: F401  (registers the wrapper Job)

    if uses_jobs_backend():
        autodiscover_modules("tasks")
