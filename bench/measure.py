"""One measurement at a time, each against a freshly flushed private Redis.

1. throughput(): enqueue N one at a time (timed by the enqueuer), spawn ONE worker
   and time from just before the spawn to the end of the N-th job; Redis commands
   (INFO commandstats, including those run inside Lua) and round trips (INFO stats
   `total_reads_processed`: one read per request or pipeline) per job during the
   drain, the driver's own polling taken out; then, with the worker idle, 200
   latency jobs 5 ms apart; then the idle worker's RSS.
2. bulk(): the bulk enqueue call for N jobs, timed, never processed.
3. idle_rss(): a fresh worker of ours, idle, after its first heartbeat.
4. multi(): several worker processes of ours draining N jobs together.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import redis

from bench.paths import WORK
from bench.peers.common import DONE, FINISH, FIRST, LAST, LAT
from bench.procs import (
    OtherCpu,
    Worker,
    cpu_seconds,
    load_average,
    rss_kb,
    session_pids,
    session_rss_kb,
)
from bench.systems import System

LAT_N = 200
ENQUEUE_TIMEOUT = 600.0
# The driver's snapshots; its BLPOP polls are counted and taken out separately.
DRIVER_COMMANDS = {"info"}
# The job body's own commands: one INCR per job, and SET, SET, RPUSH for the first/last.
BODY_EXTRA_COMMANDS = 3

Row = dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    commands: dict[str, int]
    reads: int

    @classmethod
    def take(cls, client: redis.Redis) -> Snapshot:
        pipe = client.pipeline(transaction=False)
        pipe.info("commandstats")
        pipe.info("stats")
        commandstats, stats = pipe.execute()
        commands = {
            name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in commandstats.items()
        }
        return cls(commands, int(stats["total_reads_processed"]))

    def since(self, before: Snapshot, own_reads: int, own: dict[str, int]) -> Snapshot:
        """Commands and reads between two snapshots, less the driver's own."""
        commands = {}
        for name, calls in self.commands.items():
            delta = calls - before.commands.get(name, 0) - own.get(name, 0)
            if delta > 0 and name not in DRIVER_COMMANDS:
                commands[name] = delta
        # The later snapshot's own pipeline is one read.
        return Snapshot(commands, self.reads - before.reads - own_reads - 1)


def number_at(client: redis.Redis, key: str) -> float:
    """The number stored at `key` (0 when missing)."""
    return float(cast(bytes | None, client.get(key)) or 0)


def length(client: redis.Redis, key: str) -> int:
    return cast(int, client.llen(key))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


class Bench:
    """Measurements against one private Redis, with logs under bench/.work/logs."""

    def __init__(self, url: str, redis_pid: int, log: Callable[[str], None]) -> None:
        self.url = url
        self.redis_pid = redis_pid
        self.client = redis.Redis.from_url(url)
        self.logs = WORK / "logs"
        self.say = log

    def reset(self) -> None:
        self.client.flushall()
        self.client.config_resetstat()

    def enqueue(self, system: System, mode: str, n: int) -> Row:
        done = subprocess.run(
            [*system.enqueue, mode, str(n)],
            cwd=system.cwd,
            env=system.environ(self.url, n),
            capture_output=True,
            text=True,
            timeout=ENQUEUE_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"enqueue {mode} failed: {done.stderr.strip()[-1500:]}")
        result: Row = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def wait_finished(self, workers: list[Worker], timeout: float) -> tuple[str | None, int]:
        """BLPOP the finish marker in 1 s slices; (error or None, number of BLPOPs sent)."""
        polls = 0
        deadline = time.time() + timeout
        while time.time() < deadline:
            polls += 1
            if self.client.blpop([FINISH], timeout=1):
                return None, polls
            if not any(worker.alive() for worker in workers):
                codes = ", ".join(str(worker.process.returncode) for worker in workers)
                return f"worker exited (code {codes}) after {self.done()} jobs", polls
        return f"timeout after {timeout:.0f} s with {self.done()} of N jobs done", polls

    def done(self) -> int:
        return int(number_at(self.client, DONE))

    def times(self) -> tuple[float, float]:
        return number_at(self.client, FIRST), number_at(self.client, LAST)

    def throughput(self, system: System, n: int, rep: int) -> Row:
        row: Row = {"kind": "run", "system": system.key, "n": n, "rep": rep}
        row["load"] = load_average()
        self.reset()
        before = Snapshot.take(self.client)
        other = OtherCpu([self.redis_pid])
        enqueued = self.enqueue(system, "single", n)
        row["other_cpu_enqueue"] = other.cores()
        after = Snapshot.take(self.client).since(before, 0, {})
        row["enqueue_rate"] = enqueued["rate"]
        row["enqueue_cmds_per_job"] = sum(after.commands.values()) / n
        row["enqueue_rt_per_job"] = after.reads / n
        log = self.logs / f"{system.key}-n{n}-rep{rep}.log"
        before = Snapshot.take(self.client)
        other = OtherCpu([self.redis_pid])
        worker = Worker(system.worker, system.cwd, system.environ(self.url, n), log)
        try:
            error, polls = self.wait_finished([worker], 60 + n / 25)  # room for 25 jobs/s
            cpu = sum(cpu_seconds(pid) for pid in session_pids(worker.pid))
            row["other_cpu_drain"] = other.cores(cpu)
            drained = Snapshot.take(self.client).since(before, polls, {"blpop": polls})
            if error:
                row["error"] = f"{error}; log: {log}"
                return row
            self._process_figures(row, worker.started, drained, n)
            row["worker_cpu_s"] = cpu
            self._latency(system, row)
            row["idle_rss_kb"] = session_rss_kb(worker.pid)
            row["idle_rss_main_kb"] = rss_kb(worker.pid)
            row["done_final"] = self.done()
            if row["done_final"] != n:
                row["warning"] = f"done counter {row['done_final']} != N = {n}"
            return row
        finally:
            worker.stop()

    def _process_figures(self, row: Row, started: float, drained: Snapshot, n: int) -> None:
        first, last = self.times()
        row["process_seconds"] = last - started
        row["process_rate"] = n / (last - started)
        row["startup_seconds"] = first - started
        row["steady_rate"] = (n - 1) / (last - first) if last > first else None
        commands = sum(drained.commands.values())
        row["process_cmds_per_job"] = commands / n
        row["process_cmds"] = dict(sorted(drained.commands.items(), key=lambda kv: -kv[1]))
        # Without the job body's own INCR (and the first/last bookkeeping).
        row["framework_cmds_per_job"] = (commands - n - BODY_EXTRA_COMMANDS) / n
        row["process_rt_per_job"] = drained.reads / n
        row["framework_rt_per_job"] = (drained.reads - n - BODY_EXTRA_COMMANDS) / n

    def _latency(self, system: System, row: Row) -> None:
        time.sleep(0.5)
        self.client.delete(LAT)
        self.enqueue(system, "latency", LAT_N)
        deadline = time.time() + 60
        while length(self.client, LAT) < LAT_N and time.time() < deadline:
            time.sleep(0.05)
        found = cast(list[bytes], self.client.lrange(LAT, 0, -1))
        latencies = [int(x) / 1000.0 for x in found]  # ms
        row["lat_count"] = len(latencies)
        if latencies:
            row["lat_p50_ms"] = percentile(latencies, 0.50)
            row["lat_p99_ms"] = percentile(latencies, 0.99)
            row["lat_max_ms"] = max(latencies)
        if len(latencies) != LAT_N:
            row["warning"] = f"{len(latencies)} of {LAT_N} latency jobs ran"

    def bulk(self, system: System, n: int, rep: int) -> Row:
        row: Row = {"kind": "bulk", "system": system.key, "n": n, "rep": rep}
        row["load"] = load_average()
        self.reset()
        before = Snapshot.take(self.client)
        enqueued = self.enqueue(system, "bulk", n)
        after = Snapshot.take(self.client).since(before, 0, {})
        self.client.flushall()
        row["bulk_rate"] = enqueued.get("rate")
        row["bulk_cmds_per_job"] = sum(after.commands.values()) / n
        row["bulk_rt_per_job"] = after.reads / n
        return row

    def idle_rss(self, system: System, rep: int, settle: float = 2.0) -> Row:
        """RSS of a fresh, idle worker: after its first heartbeat, plus `settle` seconds."""
        row: Row = {"kind": "rss", "system": system.key, "rep": rep, "load": load_average()}
        self.reset()
        log = self.logs / f"{system.key}-idle-rep{rep}.log"
        worker = Worker(system.worker, system.cwd, system.environ(self.url, 1), log)
        try:
            deadline = time.time() + 60
            while not self.client.scard("processes") and time.time() < deadline:
                if not worker.alive():
                    row["error"] = f"worker exited; log: {log}"
                    return row
                time.sleep(0.05)
            row["ready_seconds"] = time.time() - worker.started
            time.sleep(settle)
            row["idle_rss_kb"] = session_rss_kb(worker.pid)
            return row
        finally:
            worker.stop()

    def multi(self, system: System, processes: int, n: int, rep: int) -> Row:
        """`processes` workers of `system` started together drain N jobs."""
        row: Row = {"kind": "multi", "system": system.key, "processes": processes}
        row.update(n=n, rep=rep, load=load_average())
        self.reset()
        self.enqueue(system, "bulk" if system.bulk else "single", n)
        before = Snapshot.take(self.client)
        other = OtherCpu([self.redis_pid])
        env = system.environ(self.url, n)
        workers = [
            Worker(system.worker, system.cwd, env, self.logs / f"multi-{i}-rep{rep}.log")
            for i in range(processes)
        ]
        try:
            error, polls = self.wait_finished(workers, 60 + n / 100)
            cpu = sum(cpu_seconds(pid) for w in workers for pid in session_pids(w.pid))
            row["other_cpu_drain"] = other.cores(cpu)
            drained = Snapshot.take(self.client).since(before, polls, {"blpop": polls})
            if error:
                row["error"] = error
                return row
            started = workers[0].started
            self._process_figures(row, started, drained, n)
            seconds = row["process_seconds"]
            row["redis_cmds_per_s"] = sum(drained.commands.values()) / seconds
            return row
        finally:
            for worker in workers:
                worker.stop()


def median_of(rows: list[Row], key: str) -> float | None:
    values = [row[key] for row in rows if isinstance(row.get(key), (int, float))]
    return statistics.median(values) if values else None


def write_jsonl(path: Path, row: Row) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(row) + "\n")
