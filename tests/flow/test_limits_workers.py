"""Limiters with real worker processes: never over the limit, nothing failed, nothing lost."""

from __future__ import annotations

import redis

from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.reliability.ledger import Ledger
from tests.testapp.flow_jobs import ConcurrentLedgerJob, WindowLedgerJob


def most_at_once(ledger: Ledger, tag: str, pid: int | None = None) -> int:
    """Most runs with `tag` (of process `pid`) between their start and end rows at once."""
    rows = [(at, 1) for _, at, p, _, t in ledger.events("start") if t == tag and pid in (None, p)]
    rows += [(at, -1) for _, at, p, _, t in ledger.events("end") if t == tag and pid in (None, p)]
    running = most = 0
    for _, step in sorted(rows):
        running += step
        most = max(most, running)
    return most


def assert_nothing_failed(redis_client: redis.Redis) -> None:
    assert int(redis_client.get("stat:failed") or 0) == 0
    assert redis_client.zcard("retry") == 0
    assert redis_client.zcard("dead") == 0


def test_concurrent_3_over_2_workers_of_5_threads(
    start_worker: WorkerFactory, redis_client: redis.Redis, ledger: Ledger
) -> None:
    jids = [ConcurrentLedgerJob.perform_async(150, "c") for _ in range(30)]
    workers = [start_worker("-c", "5", env=ledger.env) for _ in range(2)]
    wait_for(lambda: ledger.ended("c") == 30, 180, "30 limited jobs to end")
    tally = ledger.tally([jid for jid in jids if jid], "c")
    assert (tally.lost, tally.duplicates, tally.unexpected) == (0, 0, 0)
    assert 2 <= most_at_once(ledger, "c") <= 3
    assert_nothing_failed(redis_client)
    assert redis_client.zcard("jobs:limit:concurrent:test:three") == 0  # every lease given back
    stats = redis_client.hgetall("jobs:limits:stats")
    assert int(stats[b"test:three|yes"]) == 30
    assert int(stats.get(b"test:three|no", 0)) > 0  # 10 threads wanted in: some were told no
    for worker in workers:
        assert worker.stop() == 0


def test_window_holds_in_every_sliding_window(
    start_worker: WorkerFactory, redis_client: redis.Redis, ledger: Ledger
) -> None:
    jids = [WindowLedgerJob.perform_async("w") for _ in range(17)]
    for _ in range(2):
        start_worker("-c", "5", env=ledger.env)
    wait_for(lambda: ledger.ended("w") == 17, 180, "17 windowed jobs to end")
    tally = ledger.tally([jid for jid in jids if jid], "w")
    assert (tally.lost, tally.duplicates) == (0, 0)
    starts = sorted(at for _, at, _, _, tag in ledger.events("start") if tag == "w")
    # At most 5 starts in any 2 s: any 6 consecutive starts span 2 s (less a slack for
    # the moment a start row is written after Redis admitted it, on a loaded machine).
    spans = [starts[i + 5] - starts[i] for i in range(len(starts) - 5)]
    assert min(spans) > 1.5, spans
    assert_nothing_failed(redis_client)


def test_kill_9_inside_a_limit_frees_its_slots_within_lock_timeout(
    start_worker: WorkerFactory, redis_client: redis.Redis, ledger: Ledger
) -> None:
    victim = start_worker("-c", "5", env=ledger.env)
    for _ in range(3):
        ConcurrentLedgerJob.perform_async(30_000, "k")
    wait_for(lambda: len(ledger.events("start")) == 3, 60, "3 long jobs inside the limit")
    victim.kill()
    assert redis_client.zcard("jobs:limit:concurrent:test:three") == 3  # the dead hold them
    after = [ConcurrentLedgerJob.perform_async(50, "after") for _ in range(6)]
    # The leases expire 4 s (lock_timeout) after they were taken; a new worker gets in.
    survivor = start_worker("-c", "5", env=ledger.env)
    wait_for(lambda: ledger.ended("after") == 6, 120, "6 jobs after the kill to end")
    assert ledger.tally([jid for jid in after if jid], "after").lost == 0
    assert most_at_once(ledger, "after", survivor.pid) <= 3
    assert int(redis_client.get("stat:failed") or 0) == 0
