"""Send django.tasks' signals from the worker, skipping sends nobody could observe.

Django connects its own receivers to every signal: they log each task's start and
end on its `django.tasks` logger (`django_tasks` with the backport). When those are
the only receivers and that logger would drop the line anyway, a send changes
nothing but costs building a TaskResult and the dispatch, a third of a no-op task's
price in the worker; so it is skipped. Any receiver of the project's own, or the
logger enabled at the line's level, and the signal goes out as Django sends it.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal

from jobs.tasks.compat import signals, task_finished, task_started

_OWN = {
    id(getattr(signals, name, None))
    for name in ("log_task_enqueued", "log_task_started", "log_task_finished")
}
_logger: logging.Logger = getattr(signals, "logger", logging.getLogger("django.tasks"))


def wanted(signal: Signal, level: int) -> bool:
    """Whether sending `signal` now could be observed (by a receiver, or in the log)."""
    if _logger.isEnabledFor(level):
        return bool(signal.receivers)
    # Each entry opens with its lookup key: (id of the receiver, id of the sender).
    return any(entry[0][0] not in _OWN for entry in signal.receivers)


def started_wanted() -> bool:
    return wanted(task_started, logging.INFO)


def finished_wanted(failed: bool) -> bool:
    return wanted(task_finished, logging.ERROR if failed else logging.INFO)
