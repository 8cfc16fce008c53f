"""Processes, their running jobs (Sidekiq 6 and 7 layouts), and signals."""

from __future__ import annotations

import redis

from jobs.api import ProcessSet
from jobs.api.processes import grouped
from tests.dashboard.seed import job, process


def test_alive_processes_are_read_and_stale_ones_skipped(
    r: redis.Redis, app_redis: redis.Redis
) -> None:
    process(r, "a:1:aaaaaaaaaaaa", busy=2)
    process(r, "b:2:bbbbbbbbbbbb", busy=1, tag="")
    r.sadd("processes", "gone:3:cccccccccccc")  # heartbeat hash expired
    alive = ProcessSet(app_redis).alive()
    assert [p.identity for p in alive] == ["a:1:aaaaaaaaaaaa", "b:2:bbbbbbbbbbbb"]
    first = alive[0]
    assert (first.hostname, first.pid, first.concurrency, first.busy) == ("a", 4242, 10, 2)
    assert first.queues == ["default", "mailers"]
    assert first.rss_kb == 51200
    assert not first.quiet
    assert first.started_at is not None
    assert first.beat is not None


def test_garbage_heartbeat_does_not_break(r: redis.Redis, app_redis: redis.Redis) -> None:
    r.sadd("processes", "x")
    r.hset(
        "x",
        mapping={"info": "{not json", "busy": "many", "beat": "soon", "rss": "", "quiet": "true"},
    )
    (proc,) = ProcessSet(app_redis).alive()
    assert proc.busy == 0
    assert proc.beat is None
    assert proc.rss_kb is None
    assert proc.quiet


def test_running_jobs_from_work_and_workers_hashes(r: redis.Redis, app_redis: redis.Redis) -> None:
    seven = process(r, "seven:1:aaaaaaaaaaaa", running=[job(args=[7])])
    six = process(r, "six:2:bbbbbbbbbbbb", running=[job(args=[6])], sidekiq6=True)
    r.hset(f"{six}:workers", "bad", "garbage")
    running = ProcessSet(app_redis).running([seven, six])
    assert sorted(str(w.job.args) for w in running if w.job.ok) == ["[6]", "[7]"]
    assert all(w.run_at is not None for w in running if w.job.ok)
    assert len(running) == 3


def test_signals_are_written_as_sidekiq_does(r: redis.Redis, app_redis: redis.Redis) -> None:
    identity = process(r)
    processes = ProcessSet(app_redis)
    assert processes.signal(identity, "quiet")
    assert processes.signal(identity, "stop")
    assert r.lrange(f"{identity}-signals", 0, -1) == [b"TERM", b"TSTP"]
    assert 0 < r.ttl(f"{identity}-signals") <= 60


def test_signal_to_an_unknown_process_writes_nothing(
    r: redis.Redis, app_redis: redis.Redis
) -> None:
    assert not ProcessSet(app_redis).signal("evil", "stop")
    assert r.keys("*") == []


def test_the_supervisor_of_a_child_is_read_and_children_grouped(
    r: redis.Redis, app_redis: redis.Redis
) -> None:
    process(r, "vm:100:aaaaaaaaaaaa", supervisor="vm:50")
    process(r, "vm:60:bbbbbbbbbbbb")
    process(r, "vm:7:cccccccccccc", supervisor="vm:50")
    process(r, "vm:8:dddddddddddd", supervisor=["not", "a", "string"])
    alive = ProcessSet(app_redis).alive()
    assert {p.identity: p.supervisor for p in alive} == {
        "vm:100:aaaaaaaaaaaa": "vm:50",
        "vm:60:bbbbbbbbbbbb": "",
        "vm:7:cccccccccccc": "vm:50",
        "vm:8:dddddddddddd": "",
    }
    assert [p.identity for p in grouped(alive)] == [
        "vm:100:aaaaaaaaaaaa",  # vm:50's children, side by side
        "vm:7:cccccccccccc",
        "vm:60:bbbbbbbbbbbb",
        "vm:8:dddddddddddd",
    ]
