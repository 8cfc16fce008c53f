"""What flow control costs: Redis round trips and commands per job, and throughput, for
plain jobs, jobs inside a `concurrent(..., 10)` limiter and unique jobs, in one run;
then the Redis load of an idle worker reading 11 queues with 0 and with 10 paused.

usage: .venv/bin/python -m bench.flow [--n 2000] [--idle 10]

One private redis-server (bench/server.py); for each kind: enqueue N jobs one at a
time (timed, with the round trips Redis read meanwhile), then one `runworker -c 10`
drains them (jobs/s from the first job's start to the N-th job's end; round trips =
INFO stats total_reads_processed, commands = INFO commandstats calls, both per job,
the worker's start-up included). Prints a Markdown table; judges nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

import redis

from bench.paths import ROOT
from bench.server import RedisServer

KINDS = {
    "plain": "bench.djangoapp.flow_jobs.FlowPlainJob",
    "concurrent(10)": "bench.djangoapp.flow_jobs.FlowLimitedJob",
    "unique": "bench.djangoapp.flow_jobs.FlowUniqueJob",
}


def counters(client: redis.Redis) -> tuple[int, int]:
    """(round trips read, commands run) so far, server-wide."""
    reads = int(client.info("stats")["total_reads_processed"])
    stats: dict[str, Any] = client.info("commandstats")
    return reads, sum(int(entry["calls"]) for entry in stats.values())


def worker(url: str, n: int, *queues: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "REDIS_URL": url}
    env.update(PYTHONPATH=str(ROOT), BENCH_REDIS_URL=url, BENCH_N=str(n))
    argv = [sys.executable, "manage.py", "runworker", "-c", "10", "-v", "0"]
    for queue in queues:
        argv += ["-q", queue]
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(60)


def one_kind(client: redis.Redis, url: str, kind: str, n: int) -> dict[str, float]:
    from jobs.registry import lookup

    client.flushdb()
    cls = lookup(KINDS[kind])
    assert cls is not None, KINDS[kind]
    before = counters(client)
    began = time.perf_counter()
    for i in range(n):
        cls.perform_async(i)
    enqueue_s = time.perf_counter() - began
    pushed = counters(client)
    process = worker(url, n)
    if client.blpop(["bench:finish"], timeout=600) is None:
        stop(process)
        raise RuntimeError(f"{kind}: the worker did not finish {n} jobs")
    done = counters(client)
    first, last = float(client.get("bench:first") or 0), float(client.get("bench:last") or 0)
    stop(process)
    return {
        "enqueue_per_s": n / enqueue_s,
        "enqueue_trips": (pushed[0] - before[0]) / n,
        "jobs_per_s": n / max(last - first, 1e-9),
        "trips": (done[0] - pushed[0]) / n,
        "commands": (done[1] - pushed[1]) / n,
    }


def idle_load(client: redis.Redis, url: str, seconds: float, paused: int) -> tuple[float, float]:
    """(round trips/s, commands/s) of one idle worker reading q0..q10, `paused` of them paused.

    Commands include those run inside Lua (the fetch script's LMOVE per queue tried).
    """
    from jobs.api import Queue

    client.flushdb()
    for index in range(1, paused + 1):
        Queue(client, f"q{index}").pause()
    process = worker(url, 1, *(f"q{index}" for index in range(11)))
    time.sleep(5.0)  # start-up and recovery passes done
    before = counters(client)
    time.sleep(seconds)
    after = counters(client)
    stop(process)
    return (after[0] - before[0]) / seconds, (after[1] - before[1]) / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.flow", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="jobs per kind (default 2000)")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds per idle measure")
    args = parser.parse_args(argv)
    server = RedisServer()
    server.start()
    os.environ.update(REDIS_URL=server.url, DJANGO_SETTINGS_MODULE="bench.settings")
    os.environ.update(BENCH_REDIS_URL=server.url, BENCH_N=str(args.n))
    import django

    django.setup()
    client = redis.Redis.from_url(server.url)
    try:
        rows = {kind: one_kind(client, server.url, kind, args.n) for kind in KINDS}
        loads = {paused: idle_load(client, server.url, args.idle, paused) for paused in (0, 10)}
    finally:
        client.close()
        server.stop()
    print(f"N = {args.n} per kind, one worker -c 10, load average {os.getloadavg()[0]:.1f}\n")
    print(
        "| kind | enqueue/s | round trips per enqueue | jobs/s | round trips per job |"
        " commands per job |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for kind, row in rows.items():
        print(
            f"| {kind} | {row['enqueue_per_s']:,.0f} | {row['enqueue_trips']:.2f} |"
            f" {row['jobs_per_s']:,.0f} | {row['trips']:.2f} | {row['commands']:.2f} |"
        )
    for paused, (trips, calls) in loads.items():
        print(
            f"\nidle worker -c 10 reading 11 queues, {paused} paused:"
            f" {trips:.1f} round trips/s, {calls:.1f} commands/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
