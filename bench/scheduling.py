"""The scheduling row: how late scheduled jobs start, and what idle polling costs.

1. Start P worker processes of a system (ours: `runworker`, default settings, so
   POLL_INTERVAL 5; Sidekiq 6.4: its default 5 s average poll), wait for their
   heartbeats and a settling pause.
2. Idle: INFO commandstats over IDLE_SECONDS with nothing due; the polling commands
   (reads of `schedule`/`retry`, the process count, our listener's pub/sub) per second,
   and every command per second.
3. Lateness: schedule N latency jobs due 1-3 s ahead from one client process
   (bench/djangoapp/schedule.py, bench/sidekiq/schedule.rb); each job's body records
   start - due; p50/p99/max, and the Redis commands per scheduled job meanwhile.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.measure import Bench, Row, Snapshot, length, percentile
from bench.paths import SIDEKIQ
from bench.peers.common import LAT
from bench.procs import Worker, load_average
from bench.systems import System

# Scheduling variants of these systems (same worker command), by their key.
KEYS = {"sched-jobs": "jobs-info", "sched-sidekiq": "sidekiq-info"}
N = 200
IDLE_SECONDS = 20.0
SETTLE_SECONDS = 3.0
POLL_COMMANDS = {"zrangebyscore", "zrange", "scard", "publish", "subscribe"}
# Sidekiq 6.4 polls through a Lua script (zpopbyscore, EVALSHA, whose ZRANGEBYSCORE counts
# too); ours uses EVALSHA for fetching, so it is a polling command for Sidekiq only.
SIDEKIQ_POLL_COMMANDS = POLL_COMMANDS | {"evalsha"}


def variants(systems: list[System]) -> list[System]:
    """The scheduling systems for those of `systems` that have one."""
    by_key = {s.key: s for s in systems}
    return [
        dataclasses.replace(by_key[base], key=key, bulk=False)
        for key, base in KEYS.items()
        if base in by_key
    ]


def is_scheduling(system: System) -> bool:
    return system.key in KEYS


def schedule_command(system: System, n: int) -> list[str]:
    if system.cwd == SIDEKIQ:
        return ["ruby", "schedule.rb", str(n)]
    return [sys.executable, "-m", "bench.djangoapp.schedule", str(n)]


def measure(bench: Bench, system: System, processes: int, n: int, rep: int) -> Row:
    """One scheduling row: `processes` workers of `system`, idle then `n` scheduled jobs."""
    row: Row = {"kind": "scheduling", "system": system.key, "processes": processes}
    row.update(n=n, rep=rep, load=load_average())
    bench.reset()
    env = system.environ(bench.url, n)
    logs = [bench.logs / f"{system.key}-p{processes}-{i}-rep{rep}.log" for i in range(processes)]
    workers = [Worker(system.worker, system.cwd, env, log) for log in logs]
    try:
        if not _ready(bench, workers, processes):
            row["error"] = f"workers not ready in 60 s; logs: {logs[0].parent}"
            return row
        time.sleep(SETTLE_SECONDS)
        _idle(bench, row, SIDEKIQ_POLL_COMMANDS if system.cwd == SIDEKIQ else POLL_COMMANDS)
        _lateness(bench, system, row, n, processes)
        return row
    finally:
        for worker in workers:
            worker.stop()


def _ready(bench: Bench, workers: list[Worker], processes: int) -> bool:
    deadline = time.time() + 60
    while time.time() < deadline:
        if int(bench.client.scard("processes")) >= processes:  # type: ignore[arg-type]
            return True
        if not all(worker.alive() for worker in workers):
            return False
        time.sleep(0.1)
    return False


def _idle(bench: Bench, row: Row, polling: set[str]) -> None:
    before = Snapshot.take(bench.client)
    time.sleep(IDLE_SECONDS)
    idle = Snapshot.take(bench.client).since(before, 0, {})
    row["idle_seconds"] = IDLE_SECONDS
    row["idle_poll_cmds_per_s"] = _sum(idle.commands, polling.__contains__) / IDLE_SECONDS
    row["idle_all_cmds_per_s"] = _sum(idle.commands, lambda _: True) / IDLE_SECONDS
    row["idle_cmds"] = dict(sorted(idle.commands.items(), key=lambda kv: -kv[1]))


def _lateness(bench: Bench, system: System, row: Row, n: int, processes: int) -> None:
    bench.client.delete(LAT)
    before = Snapshot.take(bench.client)
    done = subprocess.run(
        schedule_command(system, n),
        cwd=system.cwd,
        env=system.environ(bench.url, n),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        row["error"] = f"schedule failed: {done.stderr.strip()[-1500:]}"
        return
    row["schedule_seconds"] = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
    # Due within 3 s; a poll-only system may take up to 2 x 5 s x processes more.
    deadline = time.time() + 3 + 10 * processes + 30
    polls = 0
    while length(bench.client, LAT) < n and time.time() < deadline:
        polls += 1
        time.sleep(0.1)
    after = Snapshot.take(bench.client).since(before, polls + 1, {"llen": polls + 1, "del": 0})
    found = [int(x) / 1000.0 for x in bench.client.lrange(LAT, 0, -1)]  # type: ignore[union-attr]
    row["late_count"] = len(found)
    if found:
        row["late_p50_ms"] = percentile(found, 0.50)
        row["late_p99_ms"] = percentile(found, 0.99)
        row["late_max_ms"] = max(found)
        row["late_min_ms"] = min(found)
    if len(found) != n:
        row["warning"] = f"{len(found)} of {n} scheduled jobs ran"
    # The job body's RPUSH is the benchmark's, not the system's.
    commands = sum(after.commands.values()) - len(found)
    row["sched_cmds_per_job"] = commands / n
    row["sched_cmds"] = dict(sorted(after.commands.items(), key=lambda kv: -kv[1]))


def _sum(commands: dict[str, int], wanted: Callable[[str], bool]) -> int:
    return sum(calls for name, calls in commands.items() if wanted(name))


def run(bench: Bench, systems: list[System], counts: list[int], n: int, rep: int) -> list[Row]:
    """Every scheduling row of one rep: each scheduling system at each process count."""
    rows: list[Row] = []
    for system in systems:
        if not is_scheduling(system):
            continue
        for processes in counts:
            try:
                rows.append(measure(bench, system, processes, n, rep))
            except Exception as exc:
                rows.append(
                    {"kind": "scheduling", "system": system.key, "processes": processes}
                    | {"n": n, "rep": rep, "error": repr(exc)[-1500:]}
                )
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    """The report's scheduling table (median over reps), or '' without scheduling rows."""
    import statistics

    found = [r for r in rows if r.get("kind") == "scheduling" and not r.get("error")]
    if not found:
        return ""
    lines = [
        "## Scheduling: jobs due 1-3 s ahead, and idle polling",
        "",
        f"{found[0]['n']} jobs scheduled 1-3 s ahead (evenly spread) from one client, on idle "
        "workers; lateness = start - due. Idle polling: commands reading `schedule`/`retry` "
        "(Lua's inner commands included, and Sidekiq's poll script's EVALSHA), the process "
        f"count and our listener's pub/sub, per second over {IDLE_SECONDS:.0f} s with nothing "
        "due (all commands: heartbeats and fetch included). Commands per scheduled job: "
        "everything from enqueue to ack, less the job body's own RPUSH.",
        "",
        "| system | processes | late p50 ms | late p99 ms | late max ms | idle polling cmds/s "
        "| idle all cmds/s | cmds per scheduled job |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in found:
        groups.setdefault((row["system"], row["processes"]), []).append(row)

    def cell(group: list[dict[str, Any]], key: str, digits: int) -> str:
        values = [r[key] for r in group if isinstance(r.get(key), int | float)]
        return f"{statistics.median(values):.{digits}f}" if values else "-"

    for (system, processes), group in groups.items():
        figures = [cell(group, k, 0) for k in ("late_p50_ms", "late_p99_ms", "late_max_ms")]
        figures += [cell(group, k, 2) for k in ("idle_poll_cmds_per_s", "idle_all_cmds_per_s")]
        figures.append(cell(group, "sched_cmds_per_job", 1))
        lines.append(f"| {system} | {processes} | " + " | ".join(figures) + " |")
    return "\n".join(lines) + "\n"
