"""The worker skips only the signal sends nobody could observe."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from jobs.tasks import signals
from jobs.tasks.compat import task_finished, task_started


@pytest.fixture
def quiet_logger() -> Iterator[logging.Logger]:
    logger = signals._logger
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield logger
    logger.setLevel(level)


def test_djangos_own_log_receivers_alone_are_skipped_when_their_logger_is_off(
    quiet_logger: logging.Logger,
) -> None:
    assert task_started.receivers  # Django's log_task_started
    assert not signals.started_wanted()
    assert not signals.finished_wanted(failed=False)
    assert signals.finished_wanted(failed=True)  # logged at ERROR: still on


def test_a_logger_on_at_the_level_is_an_observer(quiet_logger: logging.Logger) -> None:
    quiet_logger.setLevel(logging.INFO)
    assert signals.started_wanted()
    assert signals.finished_wanted(failed=False)


def test_any_receiver_of_the_projects_own_is_an_observer(quiet_logger: logging.Logger) -> None:
    def receiver(sender: type, task_result: Any, **kwargs: Any) -> None: ...

    task_finished.connect(receiver)
    try:
        assert signals.finished_wanted(failed=False)
        assert not signals.started_wanted()
    finally:
        task_finished.disconnect(receiver)
    assert not signals.finished_wanted(failed=False)
