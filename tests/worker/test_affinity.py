"""One core for a worker's threads (jobs/worker/affinity.py), in real worker processes.

Pinned while jobs are short; loose after a long job; a program a job starts sees
every core; JOBS["PIN_CPU"] = False pins nothing. The core-choice rule and the
/proc/stat reading are checked on their own below.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from jobs.worker.affinity import MOVE_MARGIN, Affinity, better_core, cpu_times
from tests.conftest import WorkerFactory
from tests.helpers import Worker, wait_for
from tests.testapp.jobs import AffinityJob

ALLOWED = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
needs_two_cores = pytest.mark.skipif(len(ALLOWED) < 2, reason="needs Linux and 2+ usable cores")


def task_cores(pid: int) -> dict[str, set[int]]:
    """Each thread of `pid` (by name) and the cores it may run on."""
    found: dict[str, set[int]] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            cores = os.sched_getaffinity(int(tid))
        except OSError:
            continue  # the thread ended meanwhile
        found[f"{name}/{tid}"] = cores
    return found


def run(client: redis.Redis, *args: Any) -> dict[str, Any]:
    """Run one AffinityJob in the worker and return what it recorded."""
    before = client.llen("ledger:affinity")
    AffinityJob.perform_async(*args)
    wait_for(lambda: client.llen("ledger:affinity") > before, 15, interval=0.01, what="the job")
    record: dict[str, Any] = json.loads(client.lindex("ledger:affinity", before) or b"{}")
    return record


def started(start_worker: WorkerFactory, pin: str = "1") -> Worker:
    # One processor thread, so consecutive jobs run on the same thread; -v 2 logs the moves.
    worker = start_worker("-c", "1", "-q", "default", "-v", "2", env={"JOBS_TEST_PIN_CPU": pin})
    worker.wait_ready()
    return worker


@needs_two_cores
def test_every_thread_shares_one_core_and_leaves_it_after_a_long_job(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = started(start_worker)
    assert len(run(redis_client)["thread"]) == 1
    assert "pinned to CPU" in worker.log()
    assert one_shared_core(worker.pid)
    # The decision follows each job: the job after a long one runs loose ...
    assert len(run(redis_client, "report", 0.05)["thread"]) == 1
    assert run(redis_client)["thread"] == ALLOWED
    # ... and short jobs bring the thread back to the process's core.
    back = run(redis_client)["thread"]
    assert len(back) == 1
    assert one_shared_core(worker.pid) == set(back)
    assert worker.stop() == 0


def one_shared_core(pid: int) -> set[int]:
    """The one core every thread of `pid` shares (asserted), read again if a move was under way.

    A loaded machine may make the worker move to a freer core between two reads (it
    looks every 1.5-4.5 s): a move repins every thread in turn, so a mixed reading is
    read again; the test is about one core for all, not which.
    """
    shared: set[frozenset[int]] = set()
    for _ in range(20):
        shared = {frozenset(cores) for cores in task_cores(pid).values()}
        if len(shared) == 1:
            break
    [core] = shared
    assert len(core) == 1, shared
    return set(core)


@needs_two_cores
def test_a_program_a_job_starts_sees_every_core(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = started(start_worker)
    pinned = run(redis_client)["thread"]
    assert len(pinned) == 1
    spawned = run(redis_client, "spawn")
    assert spawned["child"] == ALLOWED
    assert len(spawned["thread"]) == 1  # it was pinned when the job began (to whichever core)
    assert worker.stop() == 0


@needs_two_cores
def test_pin_cpu_false_pins_nothing(redis_client: redis.Redis, start_worker: WorkerFactory) -> None:
    worker = started(start_worker, pin="0")
    assert run(redis_client)["thread"] == ALLOWED
    threads = task_cores(worker.pid)
    assert all(sorted(cores) == ALLOWED for cores in threads.values()), threads
    assert "pinned to CPU" not in worker.log()
    assert worker.stop() == 0


@needs_two_cores
def test_a_worker_moves_off_a_core_another_process_keeps_busy(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = started(start_worker)
    [core] = run(redis_client)["thread"]
    spin = f"import os; os.sched_setaffinity(0, {{{core}}})\nwhile True: pass"
    hog = subprocess.Popen([sys.executable, "-c", spin])
    try:
        # The worker looks every 1.5-4.5 s; its core is now fully busy with the hog.
        wait_for(lambda: "threads moved from CPU" in worker.log(), 20, interval=0.1, what="a move")
    finally:
        hog.kill()
        hog.wait()
    [moved] = run(redis_client)["thread"]
    assert moved != core
    assert all(cores == {moved} for cores in task_cores(worker.pid).values())
    assert worker.stop() == 0


def test_a_worker_refuses_to_start_with_a_bad_setting(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    # runworker runs only the model and compatibility checks (not the web's URL and
    # template ones): ours are among them.
    worker = start_worker("-c", "1", env={"JOBS_TEST_PIN_CPU": "sometimes"})
    assert worker.process.wait(60) != 0
    assert "jobs.E003" in worker.log()
    assert "JOBS['PIN_CPU'] must be True or False, not 'sometimes'" in worker.log()


@needs_two_cores
def test_a_system_that_refuses_pinning_leaves_threads_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(pid: int, cores: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    affinity = Affinity(frozenset(ALLOWED))
    with caplog.at_level(logging.INFO, logger="jobs.worker"):
        affinity.start()
    assert affinity.core is None
    assert "threads not pinned" in caplog.text
    affinity.settle(short=False)  # no-ops, no errors
    affinity.tick()
    assert sorted(os.sched_getaffinity(0)) == ALLOWED


def test_a_move_is_logged_at_debug_not_info(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import jobs.worker.affinity as module

    affinity = Affinity(frozenset({0, 1}))
    affinity.core = 0
    affinity._next_look = 0.0
    affinity._last = (0.0, 0.0, {0: (0, 0), 1: (0, 0)})
    monkeypatch.setattr(module, "_sample", lambda: (1.0, 0.5, {0: (100, 100), 1: (5, 100)}))
    moved: list[int] = []
    monkeypatch.setattr(affinity, "_move_all", moved.append)
    with caplog.at_level(logging.DEBUG, logger="jobs.worker"):
        affinity.tick()
    assert moved == [1]
    [record] = [r for r in caplog.records if "threads moved" in r.getMessage()]
    assert record.levelno == logging.DEBUG


def test_a_worker_moves_only_to_a_core_with_clearly_more_room() -> None:
    # Alone on core 0 with Redis on core 1: nothing to gain.
    assert better_core(0, {0: 0.95, 1: 0.5}, ours=0.9) is None
    # Sharing core 0 with a busy Redis while core 1 idles: move.
    assert better_core(0, {0: 1.0, 1: 0.05}, ours=0.6) == 1
    # Two workers sharing core 0 while Redis keeps core 1 as busy: no better.
    assert better_core(0, {0: 1.0, 1: 0.5}, ours=0.5) is None
    # The freest of several, lowest number on a tie; never the current core.
    assert better_core(2, {0: 0.3, 1: 0.1, 2: 1.0, 3: 0.1}, ours=0.2) == 1
    # Others keep half of core 0 busy: core 1 must offer more than MOVE_MARGIN beyond that.
    assert MOVE_MARGIN == 0.25
    assert better_core(0, {0: 1.0, 1: 0.25}, ours=0.5) is None
    assert better_core(0, {0: 1.0, 1: 0.24}, ours=0.5) == 1
    assert better_core(0, {0: 1.0}, ours=0.1) is None


@needs_two_cores
def test_cpu_times_reads_every_core() -> None:
    times = cpu_times()
    assert set(ALLOWED) <= set(times)
    assert all(0 <= busy <= total for busy, total in times.values())
    later = cpu_times()
    assert all(later[core][1] >= times[core][1] for core in ALLOWED)
