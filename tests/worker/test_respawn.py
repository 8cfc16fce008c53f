"""When a child of `runworker --processes` starts again (jobs/worker/respawn.py), and the
supervisor's option parsing (jobs/worker/swarm.py, runworker)."""

from __future__ import annotations

import os
import signal

import pytest

from jobs.worker.respawn import MAX_DELAY, QUICK_DEATH, Slot, describe_status, restart_delay
from jobs.worker.swarm import parse_processes, preferred_cores, swarm_size, usable_cores
from tests.conftest import WorkerFactory

EXIT_0, EXIT_1 = 0, 1 << 8  # wait statuses
KILLED = signal.SIGKILL  # a wait status of "killed by SIGKILL"


def test_quick_deaths_in_a_row_wait_longer_and_longer_up_to_a_cap() -> None:
    delays = [restart_delay(streak) for streak in range(12)]
    assert delays[:3] == [0, 0, 0]
    assert delays[3:8] == [1, 2, 4, 8, 16]
    assert delays[-1] == MAX_DELAY
    assert delays == sorted(delays)


def test_a_crashed_child_is_replaced_at_once_and_a_long_life_resets_the_streak() -> None:
    slot = Slot(0)
    now = 100.0
    for streak in (1, 2, 3, 4):
        slot.started_child(pid=10 + streak, now=now)
        outcome = slot.ended(KILLED, now + 1, stopping=False, quiet=False)
        assert slot.streak == streak
        assert slot.due == now + 1 + restart_delay(streak)
        now += 10
    assert "replaced in 2 s" in outcome
    slot.started_child(pid=20, now=now)
    assert slot.ended(EXIT_1, now + QUICK_DEATH + 1, stopping=False, quiet=False) == "replaced now"
    assert slot.streak == 0
    assert slot.due == now + QUICK_DEATH + 1


def test_retired_stopped_quiet_and_self_stopped_children() -> None:
    slot = Slot(0)
    slot.started_child(pid=1, now=0)
    slot.told_to_stop = slot.retiring = True  # over --max-memory
    assert "over --max-memory" in slot.ended(EXIT_0, 1, stopping=False, quiet=False)
    assert (slot.due, slot.streak) == (1, 0)
    slot.started_child(pid=2, now=5)
    assert slot.ended(EXIT_0, 6, stopping=True, quiet=False) == "stopped"
    assert slot.due is None
    slot.started_child(pid=3, now=7)
    assert "quiet" in slot.ended(KILLED, 8, stopping=False, quiet=True)
    assert slot.due is None
    slot.started_child(pid=4, now=9)  # exit 0 unasked: the dashboard's Stop
    assert "on its own" in slot.ended(EXIT_0, 60, stopping=False, quiet=False)
    assert slot.due is None
    assert slot.pid is None


def test_wait_statuses_in_words() -> None:
    assert describe_status(EXIT_0) == "exit 0"
    assert describe_status(EXIT_1) == "exit 1"
    assert describe_status(KILLED) == "killed by SIGKILL"


def test_processes_option() -> None:
    assert parse_processes("3") == 3
    assert parse_processes("auto") == usable_cores() == len(os.sched_getaffinity(0))
    for wrong in ("0", "-2", "many"):
        with pytest.raises(ValueError):
            parse_processes(wrong)
    assert swarm_size(None, 300) == 1  # --max-memory alone: one child under a supervisor
    assert swarm_size("2", None) == 2
    with pytest.raises(ValueError, match="--processes must be a positive integer or auto"):
        swarm_size("none", None)
    with pytest.raises(ValueError, match="--max-memory must be at least 1"):
        swarm_size("2", 0)


def test_children_prefer_different_cores() -> None:
    allowed = sorted(os.sched_getaffinity(0))
    assert preferred_cores(False, 3) == [None, None, None]
    cores = preferred_cores(True, 2 * len(allowed))
    if len(allowed) < 2:
        assert cores == [None] * len(cores)
    else:
        assert cores == allowed + allowed


def test_runworker_refuses_a_wrong_processes_option(
    redis_client: object, start_worker: WorkerFactory
) -> None:
    worker = start_worker("--processes", "zero")
    assert worker.process.wait(60) != 0
    assert "--processes must be a positive integer or auto" in worker.log()
