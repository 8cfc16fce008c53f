"""Restart recovery with real `runworker` processes: at once for the dead, never for the living.

Every worker here uses a state directory of the test's own (tests/worker/settings_restart.py)
and, unless a test says otherwise, Sidekiq's 60 s heartbeat TTL: a job that runs again
within seconds was recovered through the dead worker's lock file, not its expired heartbeat.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from jobs.redis import keys
from jobs.worker.lockfile import Holder, OwnLock, boot_id, file_name, prepare, redis_target
from tests.conftest import WorkerFactory
from tests.helpers import Worker, payloads, wait_for
from tests.testapp.jobs import SlowJob

SETTINGS = "tests.worker.settings_restart"
# The job that stays in progress when its worker dies: still in progress when the test looks.
LONG = 8.0


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def start(start_worker: WorkerFactory, state: Path, *args: str, ttl: int = 60) -> Worker:
    env = {"JOBS_TEST_STATE_DIR": str(state), "JOBS_TEST_HEARTBEAT_TTL": str(ttl)}
    return start_worker(*args, env=env, settings=SETTINGS)


def listed(client: redis.Redis, key: str) -> list[str]:
    return [item.decode() for item in client.lrange(key, 0, -1)]


def runs(client: redis.Redis, key: str = "ledger:started") -> Counter[str]:
    return Counter(listed(client, key))


def looked(worker: Worker) -> str:
    """The worker's line about the state directory, once it has looked at it."""
    return wait_for(
        lambda: next((x for x in worker.log().splitlines() if "state directory" in x), ""),
        20,
        f"the look at the state directory (log {worker.log_path})",
    )


def test_a_worker_killed_by_kill_9_has_its_jobs_run_again_at_its_successors_start(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    victim = start(start_worker, state, "-c", "4")
    victim_id = victim.wait_ready()
    assert (state / file_name(victim_id)).exists()
    jids = [SlowJob.perform_async(LONG) for _ in range(4)]
    wait_for(lambda: len(runs(redis_client)) == 4, 15, what="4 jobs running")
    victim.kill()
    assert redis_client.llen(keys.inprogress(victim_id)) == 4
    ttl_left = redis_client.pttl(victim_id) / 1000
    started = time.monotonic()
    successor = start(start_worker, state, "-c", "4")
    wait_for(
        lambda: runs(redis_client) == Counter({jid: 2 for jid in jids}),
        30,
        what=f"the 4 jobs to start again (log {successor.log_path})",
    )
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"jobs ran again {elapsed:.1f} s after the successor started"
    # Not the heartbeat-based recovery: the dead worker's hash had most of its 60 s left.
    assert ttl_left > 50
    assert elapsed < ttl_left
    log = successor.log()
    assert f"recovered 4 job(s) at start from {victim_id}" in log
    assert "from dead process" not in log
    assert "1 dead worker(s) taken over" in looked(successor)
    # Counted as a death beside others, for poison pills (and back to their queue).
    successor_id = successor.wait_ready()
    held = payloads(redis_client, keys.inprogress(successor_id))
    assert sorted(p["jid"] for p in held) == sorted(jids)
    assert {(p.get("suspected"), p.get("recoveries")) for p in held} == {(1, None)}
    assert not redis_client.exists(victim_id, keys.inprogress(victim_id))
    assert not redis_client.sismember(keys.PROCESSES, victim_id)
    assert not (state / file_name(victim_id)).exists()
    wait_for(lambda: len(runs(redis_client, "ledger:finished")) == 4, 30, what="the 4 reruns")
    assert runs(redis_client, "ledger:finished") == Counter(jids)
    assert successor.stop() == 0
    assert list(state.iterdir()) == [], "a clean stop leaves no lock file"


def test_two_successors_starting_together_recover_each_job_once(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    victim = start(start_worker, state, "-c", "4")
    victim_id = victim.wait_ready()
    jids = [SlowJob.perform_async(3) for _ in range(4)]
    wait_for(lambda: len(runs(redis_client)) == 4, 15, what="4 jobs running")
    victim.kill()
    successors = [start(start_worker, state, "-c", "4") for _ in range(2)]
    wait_for(lambda: len(runs(redis_client, "ledger:finished")) == 4, 30, what="the 4 reruns")
    assert runs(redis_client) == Counter(jids * 2), "a job ran more than once again"
    assert runs(redis_client, "ledger:finished") == Counter(jids)
    takers = [w for w in successors if f"at start from {victim_id}" in w.log()]
    assert len(takers) == 1
    assert sum("1 dead worker(s) taken over" in looked(w) for w in successors) == 1
    assert all(w.stop() == 0 for w in successors)
    assert list(state.iterdir()) == []


def test_a_live_sibling_started_beside_a_busy_worker_takes_nothing(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    busy = start(start_worker, state, "-c", "2")
    busy_id = busy.wait_ready()
    jids = [SlowJob.perform_async(4) for _ in range(2)]
    wait_for(lambda: len(runs(redis_client)) == 2, 15, what="2 jobs running")
    before = listed(redis_client, keys.inprogress(busy_id))
    sibling = start(start_worker, state, "-c", "2")
    sibling.wait_ready()
    assert "0 dead worker(s) taken over, 1 live" in looked(sibling)
    assert listed(redis_client, keys.inprogress(busy_id)) == before
    assert len(before) == 2
    assert (state / file_name(busy_id)).exists()
    wait_for(lambda: len(runs(redis_client, "ledger:finished")) == 2, 20, what="the 2 jobs")
    assert runs(redis_client) == Counter(jids), "a job ran twice"
    assert runs(redis_client, "ledger:finished") == Counter(jids)
    assert "recovered" not in sibling.log()
    assert busy.stop() == 0
    assert sibling.stop() == 0
    assert list(state.iterdir()) == []


def test_a_stopped_worker_keeps_its_jobs_until_its_heartbeat_expires(
    redis_client: redis.Redis, start_worker: WorkerFactory, state: Path
) -> None:
    """SIGSTOP: nothing recovered at start; after the TTL the jobs run twice, as in Sidekiq.

    A short TTL (3 s) here, to see what comes next: the heartbeat-based recovery takes
    the stopped worker's jobs and runs them again. After SIGCONT its own runs finish too
    and their acks remove nothing (harmless); it beats again and stops cleanly.
    """
    stopped = start(start_worker, state, "-c", "2", ttl=3)
    stopped_id = stopped.wait_ready()
    jids = [SlowJob.perform_async(LONG) for _ in range(2)]
    wait_for(lambda: len(runs(redis_client)) == 2, 15, what="2 jobs running")
    stopped.signal(signal.SIGSTOP)
    newcomer = start(start_worker, state, "-c", "2", ttl=3)
    newcomer.wait_ready()
    assert "0 dead worker(s) taken over, 1 live" in looked(newcomer)
    assert "at start from" not in newcomer.log()
    assert (state / file_name(stopped_id)).exists()
    # Then the heartbeat expires: the usual orphan recovery runs its jobs again.
    wait_for(lambda: runs(redis_client) == Counter(jids * 2), 40, what="the jobs to run again")
    assert f"recovered 2 job(s) from dead process {stopped_id}" in newcomer.log()
    assert not redis_client.exists(keys.inprogress(stopped_id))
    stopped.signal(signal.SIGCONT)
    # Its own runs end at once (their sleep is over) and their acks find nothing to remove.
    wait_for(lambda: runs(redis_client, "ledger:finished") == Counter(jids), 20, what="its runs")
    wait_for(lambda: redis_client.exists(stopped_id), 10, what="its heartbeat back")
    assert stopped.process.poll() is None
    wait_for(
        lambda: runs(redis_client, "ledger:finished") == Counter(jids * 2), 30, what="the reruns"
    )
    assert not redis_client.exists(keys.inprogress(stopped_id))
    assert redis_client.llen(keys.queue("default")) == 0
    assert "WARNING" not in stopped.log()
    assert "ERROR" not in stopped.log()
    assert stopped.stop() == 0
    assert newcomer.stop() == 0
    assert list(state.iterdir()) == []


def test_lock_files_of_another_redis_or_of_garbage_are_left_alone(
    redis_client: redis.Redis, redis_url: str, start_worker: WorkerFactory, state: Path
) -> None:
    prepare(state)
    ours = redis_target(redis_url)
    others = redis_target(redis_url.rsplit("/", 1)[0] + "/0")  # test runs use databases 1-15
    assert ours != others
    # A dead worker of another database whose identity also has a list in ours: untouched.
    foreign = f"otherhost:7:{'a' * 12}"
    OwnLock.hold(state, Holder(foreign, others, boot_id())).release(remove=False)
    job = json.dumps({"class": "X", "args": [], "jid": "f1", "queue": "default"})
    redis_client.lpush(keys.inprogress(foreign), job)
    (state / file_name(f"host:8:{'b' * 12}")).write_bytes(b"{half a file")
    files = {path.name: path.read_bytes() for path in state.iterdir()}
    worker = start(start_worker, state, "-c", "1")
    worker_id = worker.wait_ready()
    line = looked(worker)
    assert "0 dead worker(s) taken over, 0 live, 1 of another Redis or host, 1 unreadable" in line
    assert {p.name for p in state.iterdir()} == {*files, file_name(worker_id)}
    assert listed(redis_client, keys.inprogress(foreign)) == [job]
    assert worker.log().count("not a worker's lock file") == 1
    assert worker.stop() == 0
    assert {path.name: path.read_bytes() for path in state.iterdir()} == files
