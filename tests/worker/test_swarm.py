"""`runworker --processes N` with real processes: children, deaths, signals, memory.

Every supervisor here uses a state directory of the test's own and Sidekiq's 60 s
heartbeat TTL (tests/worker/settings_restart.py): a job of a killed child that runs
again within seconds was recovered by its replacement's start, not by an expired beat.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import redis

from jobs.redis import keys
from tests.conftest import WorkerFactory
from tests.figures import Profile, Reporter
from tests.helpers import Worker, alive, payloads, wait_for
from tests.testapp.jobs import CrashJob, HogJob, PidJob, RecordJob, SlowJob

SETTINGS = "tests.worker.settings_restart"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def start_swarm(start_worker: WorkerFactory, state: Path, *args: str) -> Worker:
    env = {"JOBS_TEST_STATE_DIR": str(state), "JOBS_TEST_HEARTBEAT_TTL": "60"}
    return start_worker(*args, env=env, settings=SETTINGS)


def children(client: redis.Redis, supervisor: Worker) -> dict[str, int]:
    """identity -> pid of every process with a heartbeat that names `supervisor`."""
    name = f"{socket.gethostname()}:{supervisor.pid}"
    found = {}
    for member in client.smembers(keys.PROCESSES):
        info = client.hget(member, "info")
        data = json.loads(info) if info else {}
        if data.get("supervisor") == name:
            found[member.decode()] = int(data["pid"])
    return found


def wait_children(
    client: redis.Redis, supervisor: Worker, count: int, timeout: float = 30
) -> dict[str, int]:
    def ready() -> dict[str, int] | None:
        if supervisor.process.poll() is not None:
            raise AssertionError(f"supervisor exited:\n{supervisor.log()}")
        found = children(client, supervisor)
        return found if len(found) == count else None

    found = wait_for(ready, timeout, f"{count} children (log {supervisor.log_path})")
    assert found is not None
    return found


def runs(client: redis.Redis, key: str = "ledger:started") -> Counter[str]:
    return Counter(item.decode() for item in client.lrange(key, 0, -1))


def test_children_show_up_as_workers_named_after_their_supervisor_and_run_jobs(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    supervisor = start_swarm(start_worker, state, "--processes", "2", "-c", "2")
    kids = wait_children(redis_client, supervisor, 2)
    assert supervisor.pid not in kids.values()
    assert len(set(kids.values())) == 2
    jids = [PidJob.perform_async(0.05) for _ in range(40)]
    wait_for(lambda: redis_client.llen("ledger:pids") == 40, 30, "the 40 jobs")
    done = [item.decode().split(":") for item in redis_client.lrange("ledger:pids", 0, -1)]
    assert sorted(jid for _, jid in done) == sorted(jids)
    assert {int(pid) for pid, _ in done} == set(kids.values()), "both children ran jobs"
    log = supervisor.log()
    if len(os.sched_getaffinity(0)) >= 2:  # each child starts on a core of its own
        assert "threads pinned to CPU 0 " in log
        assert "threads pinned to CPU 1 " in log
    assert supervisor.stop() == 0
    assert all(not alive(pid) for pid in kids.values())
    assert not redis_client.smembers(keys.PROCESSES)
    assert list(state.iterdir()) == [], "clean stops leave no lock file"


def test_a_child_killed_by_kill_9_is_replaced_and_its_jobs_run_again_at_once(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path, profile: Profile
) -> None:
    supervisor = start_swarm(start_worker, state, "--processes", "2", "-c", "2")
    kids = wait_children(redis_client, supervisor, 2)
    jids = [SlowJob.perform_async(4) for _ in range(4)]
    wait_for(lambda: len(runs(redis_client)) == 4, 20, "4 jobs running")
    victim, victim_pid = next(
        (identity, pid)
        for identity, pid in kids.items()
        if redis_client.llen(keys.inprogress(identity))
    )
    held = [p["jid"] for p in payloads(redis_client, keys.inprogress(victim))]
    killed_at = time.monotonic()
    os.kill(victim_pid, signal.SIGKILL)

    def replacement() -> str | None:
        return next((i for i in children(redis_client, supervisor) if i not in kids), None)

    newcomer = wait_for(replacement, 20, "a new child's heartbeat", interval=0.01)
    seconds = time.monotonic() - killed_at
    Reporter(profile.name)("swarm kill -9 -> replacement's first heartbeat", seconds=seconds)
    assert seconds < 20  # liveness only: the measured figure is in the report line above
    wait_for(
        lambda: all(runs(redis_client)[jid] == 2 for jid in held), 20, "the dead child's jobs again"
    )
    assert f"recovered {len(held)} job(s) at start from {victim}" in supervisor.log()
    assert f"worker process {victim_pid} ended (killed by SIGKILL); replaced now" in (
        supervisor.log()
    )
    assert victim not in children(redis_client, supervisor)
    wait_for(lambda: runs(redis_client, "ledger:finished") == Counter(jids), 30, "every job done")
    assert supervisor.stop() == 0
    assert redis_client.llen(keys.queue("default")) == 0
    assert not redis_client.exists(keys.inprogress(victim), keys.inprogress(newcomer))
    assert list(state.iterdir()) == []


def test_term_stops_every_child_gracefully_and_exits_0_with_no_job_lost(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    supervisor = start_swarm(start_worker, state, "--processes", "2", "-c", "2")
    kids = wait_children(redis_client, supervisor, 2)
    jids = [SlowJob.perform_async(2) for _ in range(8)]
    wait_for(lambda: len(runs(redis_client)) == 4, 20, "4 jobs running")
    assert supervisor.stop() == 0
    started = runs(redis_client)
    finished = runs(redis_client, "ledger:finished")
    waiting = [p["jid"] for p in payloads(redis_client, keys.queue("default"))]
    assert finished == started, "every running job finished before its child stopped"
    assert sorted([*finished, *waiting]) == sorted(jids), "no job lost, none run twice"
    assert all(not alive(pid) for pid in kids.values())
    assert not any(redis_client.exists(keys.inprogress(identity)) for identity in kids)
    assert not redis_client.smembers(keys.PROCESSES)
    assert supervisor.log().count("ended (exit 0); stopped") == 2


def test_tstp_and_ttin_reach_every_child(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    supervisor = start_swarm(start_worker, state, "--processes", "2", "-c", "2")
    kids = wait_children(redis_client, supervisor, 2)
    supervisor.signal(signal.SIGTSTP)
    wait_for(lambda: all(redis_client.hget(i, "quiet") == b"true" for i in kids), 20, "both quiet")
    jid = RecordJob.perform_async("after quiet")
    beats = {i: float(redis_client.hget(i, "beat") or 0) for i in kids}
    wait_for(
        lambda: all(float(redis_client.hget(i, "beat") or 0) > beats[i] + 1 for i in kids),
        20,
        "two more beats from each child",
    )
    assert [p["jid"] for p in payloads(redis_client, keys.queue("default"))] == [jid]
    assert redis_client.llen("ledger:runs") == 0, "a quiet child fetched a job"
    supervisor.signal(signal.SIGTTIN)
    for pid in kids.values():
        wait_for(
            lambda pid=pid: (
                f"pid={pid} tid=MainThread WARNING: thread MainThread:" in supervisor.log()
            ),
            20,
            f"child {pid}'s thread dump",
        )
    assert supervisor.stop() == 0
    assert [p["jid"] for p in payloads(redis_client, keys.queue("default"))] == [jid]


def test_a_child_over_max_memory_is_replaced_gracefully_its_jobs_run_once(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    args = ("--processes", "1", "-c", "2", "--max-memory", "250")
    supervisor = start_swarm(start_worker, state, *args)
    first = wait_children(redis_client, supervisor, 1)
    beside = SlowJob.perform_async(2)
    hog = HogJob.perform_async(300, 2)
    wait_for(lambda: runs(redis_client)[hog] == 1, 20, "the hog to start")

    def successor() -> str | None:
        return next((i for i in children(redis_client, supervisor) if i not in first), None)

    newcomer = wait_for(successor, 40, "a new child after the first went over its memory")
    log = supervisor.log()
    assert "over --max-memory 250 MB: stopping it gracefully" in log
    assert "ended (exit 0); replaced now (it was over --max-memory)" in log
    assert runs(redis_client, "ledger:finished") == Counter([beside, hog])
    children_seen = children(redis_client, supervisor)
    after = PidJob.perform_async()
    wait_for(lambda: redis_client.llen("ledger:pids") == 1, 20, "a job in the new child")
    assert supervisor.stop() == 0
    assert runs(redis_client) == Counter([beside, hog]), "a finished job ran twice"
    ran = redis_client.lindex("ledger:pids", 0)
    assert ran is not None
    assert ran.decode() == f"{children_seen[newcomer]}:{after}"
    assert redis_client.llen(keys.queue("default")) == 0


def test_a_poison_pill_is_blamed_and_its_deaths_back_off_instead_of_spinning(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    supervisor = start_swarm(start_worker, state, "--processes", "1", "-c", "2")
    wait_children(redis_client, supervisor, 1)
    pill = CrashJob.perform_async()
    innocents = [SlowJob.perform_async(0.2) for _ in range(3)]
    wait_for(lambda: redis_client.zcard("dead") == 1, 120, "the pill in dead")
    dead = payloads(redis_client, "dead")
    assert [(d["jid"], d["error_class"]) for d in dead] == [(pill, "WorkerDied")]
    wait_for(
        lambda: set(runs(redis_client, "ledger:finished")) == set(innocents), 30, "the innocents"
    )
    wait_children(redis_client, supervisor, 1)  # the child after the pill lives on
    lines = supervisor.log().splitlines()
    assert any("replaced in 1 s: it died within 5 s of its start 3 times" in x for x in lines)
    backed = next(i for i, x in enumerate(lines) if "replaced in 2 s" in x)
    restart = next(x for x in lines[backed:] if "started worker process" in x)
    waited = at(restart) - at(lines[backed])
    assert waited >= 1.9, f"restarted {waited:.2f} s after a death that asked for 2 s"
    assert supervisor.stop() == 0


def at(line: str) -> float:
    """The time of a log line ("2026-12-05T23:39:09.718Z pid=..."), epoch seconds."""
    return datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00")).timestamp()


def test_children_stop_gracefully_when_their_supervisor_is_killed(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    supervisor = start_swarm(start_worker, state, "--processes", "2", "-c", "2")
    kids = wait_children(redis_client, supervisor, 2)
    supervisor.kill()
    wait_for(lambda: all(not alive(pid) for pid in kids.values()), 30, "the orphans to stop")
    assert not redis_client.smembers(keys.PROCESSES), "each left the process list itself"
    assert list(state.iterdir()) == []


def test_a_second_term_makes_every_child_exit_at_once_and_the_supervisor_exit_1(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    supervisor = start_swarm(start_worker, state, "--processes", "2", "-c", "1")
    kids = wait_children(redis_client, supervisor, 2)
    jids = [SlowJob.perform_async(30) for _ in range(2)]
    wait_for(lambda: len(runs(redis_client)) == 2, 20, "2 jobs running")
    supervisor.signal(signal.SIGTERM)
    for pid in kids.values():  # each child took the first (two at once would be one signal)
        wait_for(
            lambda pid=pid: f"pid={pid} tid=MainThread INFO: SIGTERM: stopping" in supervisor.log(),
            20,
            f"child {pid} stopping",
        )
    supervisor.signal(signal.SIGTERM)
    assert supervisor.process.wait(30) == 1
    assert all(not alive(pid) for pid in kids.values())
    held = [p["jid"] for i in kids for p in payloads(redis_client, keys.inprogress(i))]
    assert sorted(held) == sorted(jids), "left in their in-progress lists, recoverable"
    assert not runs(redis_client, "ledger:finished")


def test_children_stopped_from_the_dashboard_stay_stopped_and_the_supervisor_exits_0(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    supervisor = start_swarm(start_worker, state, "--processes", "2", "-c", "1")
    kids = wait_children(redis_client, supervisor, 2)
    first, second = kids
    redis_client.lpush(keys.process_signals(first), "TERM")  # the dashboard's Stop
    wait_for(lambda: not alive(kids[first]), 20, "the first child to stop")
    wait_for(lambda: "on its own" in supervisor.log(), 20, "the supervisor to see it")
    assert supervisor.process.poll() is None
    assert set(children(redis_client, supervisor)) == {second}, "not replaced"
    redis_client.lpush(keys.process_signals(second), "TERM")
    assert supervisor.process.wait(30) == 0


def test_int_stops_gracefully_and_children_have_process_groups_of_their_own(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    """A terminal's Ctrl-C reaches the supervisor's group only; it forwards INT once."""
    supervisor = start_swarm(start_worker, state, "--processes", "2", "-c", "1")
    kids = wait_children(redis_client, supervisor, 2)
    assert all(os.getpgid(pid) == pid for pid in kids.values())
    assert os.getpgid(supervisor.pid) != supervisor.pid  # the test's group, unchanged
    supervisor.signal(signal.SIGINT)
    assert supervisor.process.wait(30) == 0
    assert supervisor.log().count("SIGINT: stopping (again to exit at once)") == 2
    assert "exits at once" not in supervisor.log()
