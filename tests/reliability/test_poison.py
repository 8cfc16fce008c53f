"""Poison pills blame only themselves: jobs that calls os._exit(1) among short jobs.

Two supervised workers of 3 threads (a dead one is restarted at once) run 500 short
jobs (under SHORT_JOB, so prefetch is active and a pill is fetched beside others)
with 1, then 2, poison pills (tests.testapp.jobs.CrashJob) enqueued among them.
Each pill must be in the dead set after at most 4 crashes that involve it (two
beside other jobs, two alone), saying why; no normal job may reach dead, and
every one must run (the SQLite ledger counts them, and their duplicates).

Published figures: crashes per pill, jobs held by the workers the pills killed,
duplicates and interrupted runs of normal jobs, wall time.
"""

from __future__ import annotations

import random
import time

import pytest
import redis

from jobs.redis import keys
from tests.conftest import WorkerFactory
from tests.helpers import payloads, wait_for
from tests.reliability.conftest import Profile
from tests.reliability.fleet import Fleet, orphan_lists
from tests.reliability.ledger import Ledger
from tests.reliability.report import Reporter
from tests.testapp.jobs import CrashJob, LedgerJob

pytestmark = pytest.mark.slow

JOBS = 500
THREADS = 3
SEEDS = [101, 202, 303, 404, 505]  # the short profile runs the first two


def enqueue(rng: random.Random, pills: int) -> tuple[list[str], list[str]]:
    """500 short jobs with `pills` pills at random places among them: (normal, pills)."""
    cuts = sorted(rng.sample(range(20, JOBS - 20), pills))
    normal: list[str] = []
    poison: list[str] = []
    start = 0
    for cut in [*cuts, JOBS]:
        normal += LedgerJob.perform_bulk([[rng.choice([0, 1, 2])] for _ in range(start, cut)])
        if cut < JOBS:
            poison.append(CrashJob.perform_async())
        start = cut
    return normal, poison


def note_crashes(fleet: Fleet, client: redis.Redis, held: list[int]) -> None:
    """Before the supervisor replaces them: how many jobs each dead member held."""
    fleet.identify()
    for member in fleet.members:
        if not member.alive and member.identity is not None:
            held.append(int(client.llen(keys.inprogress(member.identity))))


def in_dead(client: redis.Redis) -> dict[str, dict[str, object]]:
    return {str(record["jid"]): record for record in payloads(client, "dead")}


def leftovers(client: redis.Redis) -> list[str]:
    """Suspects lists and solo markers still in Redis."""
    found = client.scan_iter(keys.suspects("*")), client.scan_iter(keys.solo("*"))
    return [key.decode() for keys_found in found for key in keys_found]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("pills", [1, 2])
@pytest.mark.parametrize("seed", SEEDS)
def test_poison_pills_blame_only_themselves(
    redis_client: redis.Redis,
    start_worker: WorkerFactory,
    ledger: Ledger,
    profile: Profile,
    figures: Reporter,
    pills: int,
    seed: int,
) -> None:
    if SEEDS.index(seed) >= profile.pick(2, len(SEEDS)):
        pytest.skip("the long profile runs this seed")
    rng = random.Random(seed)
    fleet = Fleet(start_worker, redis_client, 2, ["-c", str(THREADS)], ledger.env)
    fleet.start()
    began = time.monotonic()
    normal, poison = enqueue(rng, pills)
    held: list[int] = []  # jobs in each dead worker's in-progress list

    def done() -> bool:
        note_crashes(fleet, redis_client, held)
        fleet.supervise()
        return ledger.ended() >= JOBS and set(poison) <= set(in_dead(redis_client))

    wait_for(done, 600, "every normal job run and every pill in dead", interval=0.02)
    wall = time.monotonic() - began
    wait_for(lambda: not orphan_lists(redis_client), 30, "no orphan list", interval=0.2)
    wait_for(lambda: not leftovers(redis_client), 30, "no suspect nor solo marker left")
    for member in fleet.members:  # a replacement started by the last supervise() is
        member.worker.wait_ready()  # not stopped before its TERM handler is in place
    exit_codes = fleet.stop()

    dead = in_dead(redis_client)
    tally = ledger.tally(normal)
    crashes = {jid: int(redis_client.get(f"ledger:crash:{jid}") or 0) for jid in poison}
    involved = {
        jid: int(str(dead[jid].get("recoveries", 0))) + int(str(dead[jid].get("suspected", 0)))
        for jid in poison
    }
    figures(
        "poison pills",
        pills=pills,
        jobs=JOBS,
        workers=2,
        threads=THREADS,
        crashes=len(fleet.unexpected_exits),
        runs_per_pill=sorted(crashes.values()),
        crashes_involving_pill=sorted(involved.values()),
        held_at_crash=held,
        normal_in_dead=len(set(dead) - set(poison)),
        lost=tally.lost,
        duplicates=tally.duplicates,
        interrupted_runs=tally.interrupted,
        max_runs_per_jid=tally.max_runs,
        wall_s=round(wall, 1),
        seed=seed,
    )
    assert set(dead) == set(poison), "a job that ran beside a pill was sent to dead"
    for jid in poison:
        record = dead[jid]
        assert record["error_class"] == "WorkerDied"
        assert record["error_message"] == "killed its worker 2 times while running alone"
        assert record["recoveries"] == 2
        assert crashes[jid] <= 4, f"pill {jid} killed {crashes[jid]} workers"
        assert involved[jid] <= 4, f"pill {jid} was in {involved[jid]} dead workers"
    assert len(fleet.unexpected_exits) <= 4 * pills
    assert any(n > 1 for n in held), "no pill was ever fetched beside other jobs"
    assert tally.lost == 0
    assert tally.unexpected == 0
    assert exit_codes == [0] * len(exit_codes)
    assert not list(redis_client.scan_iter(keys.inprogress("*")))


def runs_by_process(ledger: Ledger) -> dict[int, list[tuple[float, float, str, str]]]:
    """(start, end, jid, tag) of every completed run, by worker pid."""
    ends: dict[tuple[str, int], list[float]] = {}
    for jid, at, pid, _, _ in ledger.events("end"):
        ends.setdefault((jid, pid), []).append(at)
    runs: dict[int, list[tuple[float, float, str, str]]] = {}
    for jid, at, pid, _, tag in ledger.events("start"):
        pending = ends.get((jid, pid))
        if pending:
            runs.setdefault(pid, []).append((at, pending.pop(0), jid, tag))
    return runs


def overlapping(runs: dict[int, list[tuple[float, float, str, str]]], tag: str) -> list[str]:
    """Runs tagged `tag` that another run of the same process overlapped."""
    found: list[str] = []
    for process_runs in runs.values():
        for start, end, jid, run_tag in process_runs:
            if run_tag != tag:
                continue
            if any(other != jid and s < end and e > start for s, e, other, _ in process_runs):
                found.append(jid)
    return found


@pytest.mark.timeout(300)
@pytest.mark.parametrize("queues", [["-q", "default"], []], ids=["one queue", "several queues"])
def test_busy_workers_run_suspects_alone_and_soon(
    queues: list[str],
    redis_client: redis.Redis,
    start_worker: WorkerFactory,
    ledger: Ledger,
    profile: Profile,
    figures: Reporter,
) -> None:
    stream = profile.pick(8000, 30_000)
    fleet = Fleet(start_worker, redis_client, 2, ["-c", str(THREADS), *queues], ledger.env)
    fleet.start()
    for start in range(0, stream, 1000):
        LedgerJob.perform_bulk([[1, "stream"]] * min(1000, stream - start))
    # Suspects as recovery leaves them, pushed in while both workers are busy.
    wait_for(lambda: ledger.ended("stream") >= 200, 60, "the stream to flow")
    held = LedgerJob.set(queue="held").perform_bulk([[50, "suspect"]] * 6)
    for _ in held:
        redis_client.lmove(keys.queue("held"), keys.suspects("default"), "RIGHT", "LEFT")
    pushed = time.time()
    wait_for(lambda: ledger.ended("suspect") == len(held), 60, "the suspects to run")
    ran_all = max(at for _, at, _, _, tag in ledger.events("end") if tag == "suspect") - pushed
    left = stream - ledger.ended("stream")
    wait_for(lambda: ledger.ended("stream") == stream, 120, "the stream to end")
    exit_codes = fleet.stop()
    alone_violations = overlapping(runs_by_process(ledger), "suspect")
    figures(
        "suspects under load",
        stream=stream,
        suspects=len(held),
        all_suspects_ran_s=round(ran_all, 2),
        stream_left_then=left,
        overlapped_suspect_runs=len(alone_violations),
        queues=" ".join(queues) or "all",
    )
    assert left > 0, "the stream had ended before the suspects ran: not a busy worker"
    assert ran_all < 10, "suspects waited too long for a solo turn"
    assert alone_violations == [], "a suspect ran beside another job in its process"
    assert ledger.tally(held, "suspect").duplicates == 0
    assert exit_codes == [0, 0]
    assert redis_client.llen(keys.suspects("default")) == 0
