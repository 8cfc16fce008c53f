"""No false recovery: jobs holding the GIL longer than the heartbeat TTL are left alone.

Every thread of one worker spins in a pure-Python loop for several TTLs while a
second worker watches for dead processes. The heartbeat thread must still get the
GIL often enough to refresh the process hash, so the spinning jobs are never taken
for orphans and run twice. Published figures: the largest gap between two beats
(Redis-server time) and the least TTL the process hash had left.

The same must hold when the beats stop because Redis itself was away longer than
the TTL: a live worker's running jobs are not another worker's orphans.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import redis

from jobs.client import push_payloads
from jobs.conf import get_settings
from jobs.redis import keys
from jobs.redis.connection import make_client
from tests.conftest import WorkerFactory
from tests.helpers import PrivateRedis, wait_for
from tests.reliability.conftest import Profile
from tests.reliability.ledger import Ledger
from tests.reliability.report import Reporter
from tests.testapp.jobs import LedgerJob, SpinJob

pytestmark = pytest.mark.slow

THREADS = 2


class BeatWatcher(threading.Thread):
    """Sample a process hash's `beat` and remaining TTL every 20 ms."""

    def __init__(self, client: redis.Redis, identity: str) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.identity = identity
        self.beats: list[float] = []
        self.least_ttl_ms = 10**9
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            pipe = self.client.pipeline(transaction=False)
            pipe.hget(self.identity, "beat")
            pipe.pttl(self.identity)
            beat, ttl = pipe.execute()
            if beat is not None and (not self.beats or float(beat) != self.beats[-1]):
                self.beats.append(float(beat))
            self.least_ttl_ms = min(self.least_ttl_ms, int(ttl))

    def largest_gap_ms(self) -> float:
        gaps = [b - a for a, b in zip(self.beats, self.beats[1:], strict=False)]
        return max(gaps, default=0.0) * 1000


def test_gil_holding_jobs_are_never_recovered_while_their_worker_lives(
    redis_client: redis.Redis,
    redis_admin_url: str,
    start_worker: WorkerFactory,
    ledger: Ledger,
    profile: Profile,
    figures: Reporter,
) -> None:
    ttl = get_settings().HEARTBEAT_TTL
    spin = profile.pick(3 * ttl, 10 * ttl)
    spinner = start_worker("-c", str(THREADS), "-q", "default", env=ledger.env)
    identity = spinner.wait_ready()
    jids = [SpinJob.perform_async(spin) for _ in range(THREADS)]
    wait_for(lambda: len(ledger.events("start")) == THREADS, 20, what="every thread spinning")
    watcher = BeatWatcher(redis.Redis.from_url(redis_admin_url), identity)  # PTTL: admin
    watcher.start()
    # The would-be rescuer looks for dead processes at start and on every beat.
    rescuer = start_worker("-c", "2", "-q", "default", env=ledger.env)
    rescuer.wait_ready()
    wait_for(lambda: ledger.ended() == THREADS, spin + 30, what="the spinning jobs to end")
    watcher.stop.set()
    watcher.join(5)

    tally = ledger.tally(jids)
    rescued = "recovered" in rescuer.log() or "recovered" in spinner.log()
    figures(
        "no false recovery",
        spin_s=spin,
        threads_spinning=THREADS,
        heartbeat_ttl_s=ttl,
        largest_beat_gap_ms=round(watcher.largest_gap_ms(), 1),
        least_ttl_left_ms=watcher.least_ttl_ms,
        beats=len(watcher.beats),
        max_runs_per_jid=tally.max_runs,
        recovered=int(rescued),
    )
    assert tally.lost == 0
    assert tally.max_runs == 1, "a spinning job was recovered and run twice"
    assert not rescued
    assert watcher.least_ttl_ms > 0
    assert watcher.largest_gap_ms() < ttl * 1000
    assert redis_client.llen(keys.queue("default")) == 0
    assert spinner.process.poll() is None
    assert spinner.stop() == 0
    assert rescuer.stop() == 0


def test_running_jobs_are_not_recovered_after_a_redis_restart(
    tmp_path: Path, start_worker: WorkerFactory, ledger: Ledger, figures: Reporter
) -> None:
    ttl = get_settings().HEARTBEAT_TTL
    server = PrivateRedis(tmp_path / "redis")
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    server.start(*aof)
    try:
        env = {**ledger.env, "REDIS_URL": server.url}
        workers = [start_worker("-c", "2", "-q", "default", "-v", "0", env=env) for _ in range(2)]
        watch = server.client()
        wait_for(lambda: watch.scard(keys.PROCESSES) == 2, 30, what="both workers announced")
        now = time.time()
        jobs = [LedgerJob.set().build([(3 * ttl + 2) * 1000], now) for _ in range(4)]
        app = make_client(server.url)  # as the application: the ACL user
        push_payloads(jobs, app)
        app.close()
        wait_for(lambda: len(ledger.events("start")) == 4, 30, what="every thread busy")
        watch.shutdown(nosave=True)
        watch.close()
        assert server.process is not None
        server.process.wait(10)
        server.process = None
        time.sleep(ttl + 1)  # Redis is down: nothing to await but the clock
        server.start(*aof)
        jids = [str(job["jid"]) for job in jobs]
        wait_for(lambda: not ledger.tally(jids).lost, 60, what="the jobs to end")
        time.sleep(1.0)  # a second run would have started by now: nothing to await
        tally = ledger.tally(jids)
        recovered = sum("recovered" in w.log() for w in workers)
        figures(
            "no false recovery after a Redis restart",
            outage_s=ttl + 1,
            running_jobs=len(jids),
            max_runs_per_jid=tally.max_runs,
            duplicates=tally.duplicates,
            workers_recovering_a_live_peer=recovered,
        )
        assert tally.lost == 0
        assert tally.max_runs == 1
    finally:
        server.stop()
