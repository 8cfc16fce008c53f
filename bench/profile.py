"""Profile our worker under load with py-spy: where the time goes, and how much holds the GIL.

usage: .venv/bin/python -m bench.profile [--n 50000] [--verbosity 1] [--rate 100]

A private Redis, N benchmark jobs pushed with perform_bulk, ONE `manage.py runworker`
(-c 10, default INFO log unless told); py-spy attaches once the first job ran (start-up
left out) and stops at the N-th job. Two drains:
1. all threads' non-idle samples: the top functions, by self and inclusive share;
2. `--gil`: only the thread holding the GIL; GIL-held share = its samples ÷ (rate x time).
The worker's CPU time (user + system, all threads) over the drain is read from /proc.
Raw py-spy output and the summary go to bench/.work/profile/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import redis

from bench.machine import code_state
from bench.paths import ROOT, WORK
from bench.peers.common import FINISH, FIRST
from bench.procs import OtherCpu, Worker, cpu_split
from bench.server import RedisServer
from bench.soak import setup_django
from bench.systems import ours

OUT = WORK / "profile"
TOP = 15


def py_spy() -> str:
    """py-spy next to this Python, or on PATH; installed into this venv if missing."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    found = shutil.which("py-spy")
    if found:
        return found
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"], check=True)
    return str(beside)


class Drain:
    """One drain of N jobs by a fresh worker, sampled by py-spy."""

    def __init__(self, url: str, redis_pid: int, n: int, verbosity: str, rate: int) -> None:
        self.url, self.n, self.rate = url, n, rate
        self.redis_pid = redis_pid
        self.client = redis.Redis.from_url(url)
        self.system = ours(Path(sys.executable), url)[0]
        self.argv = [*self.system.worker, "-v", verbosity]

    def run(self, job: type, gil: bool) -> tuple[Path, float, tuple[float, float], float]:
        """Raw py-spy file, wall seconds sampled, worker (user, system) CPU s in that time,
        and the cores the rest of the machine used meanwhile."""
        self.client.flushall()
        for start in range(0, self.n, 10_000):
            job.perform_bulk([[i] for i in range(start, min(self.n, start + 10_000))])  # type: ignore[attr-defined]
        raw = OUT / f"raw-{'gil' if gil else 'all'}.txt"
        env = self.system.environ(self.url, self.n)
        worker = Worker(self.argv, self.system.cwd, env, WORK / "logs" / "profile.log")
        try:
            while not self.client.exists(FIRST):
                if not worker.alive():
                    raise SystemExit("the worker died; see bench/.work/logs/profile.log")
                time.sleep(0.01)
            argv = [py_spy(), "record", "-p", str(worker.pid), "-f", "raw", "-o", str(raw)]
            argv += ["--rate", str(self.rate), "--nolineno", "--nonblocking"]
            argv += ["--gil"] if gil else []
            spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started, before = time.time(), cpu_split(worker.pid)
            other = OtherCpu([self.redis_pid, worker.pid, spy.pid])
            if not self.client.blpop([FINISH], timeout=600):
                raise SystemExit("the drain did not finish in 600 s")
            wall, after = time.time() - started, cpu_split(worker.pid)
            cpu = (after[0] - before[0], after[1] - before[1])
            others = other.cores()
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
            return raw, wall, cpu, others
        finally:
            worker.stop()


def read_raw(path: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def area(frame: str) -> str:
    """The package of a frame `function (path)`: jobs/worker, redis, logging, ..."""
    path = frame.rpartition("(")[2].rstrip(")")
    parts = Path(path).parts
    if parts[:1] == ("jobs",) and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0] if parts else "?"


def table(title: str, counts: Counter[str], total: int) -> list[str]:
    lines = [f"| {title} | share |", "|---|---:|"]
    for name, count in counts.most_common(TOP):
        lines.append(f"| `{name}` | {count / total:.1%} |")
    return [*lines, ""]


def summarize(stacks: Counter[tuple[str, ...]]) -> tuple[int, list[str]]:
    total = sum(stacks.values()) or 1
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for stack, count in stacks.items():
        leaf[stack[-1]] += count
        areas[area(stack[-1])] += count
        for frame in set(stack):
            inclusive[frame] += count
    lines = table("self (leaf) function", leaf, total)
    lines += table("inclusive function", inclusive, total)
    lines += table("package of the leaf frame", areas, total)
    return total, lines


def cores(cpu: tuple[float, float], wall: float) -> str:
    user, system = cpu
    return f"{(user + system) / wall:.2f}: {user / wall:.2f} + {system / wall:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--verbosity", default="1", help="the worker's -v (default 1 = INFO)")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    server = RedisServer()
    server.start()
    try:
        job = setup_django(server.url, args.n)
        drain = Drain(server.url, server.pid, args.n, args.verbosity, args.rate)
        all_raw, all_wall, all_cpu, all_others = drain.run(job, gil=False)
        gil_raw, gil_wall, gil_cpu, gil_others = drain.run(job, gil=True)
    finally:
        server.stop()
    all_total, all_lines = summarize(read_raw(all_raw))
    gil_total, gil_lines = summarize(read_raw(gil_raw))
    ticks = args.rate
    lines = [
        f"# py-spy profile: {args.n:,} jobs, `runworker -v {args.verbosity}` (-c 10)",
        "",
        f"Code: {code_state(ROOT)}. Load average at start: {load}. py-spy {args.rate} Hz, "
        "--nonblocking, attached after",
        "the first job (start-up left out), stopped at the N-th job.",
        "",
        "| drain | seconds | jobs/s | worker CPU, cores: user + system | samples "
        "| samples per tick | others' CPU, cores |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| all threads, non-idle | {all_wall:.1f} | {args.n / all_wall:,.0f} "
        f"| {cores(all_cpu, all_wall)} | {all_total:,} | {all_total / (all_wall * ticks):.2f} "
        f"| {all_others:.2f} |",
        f"| --gil (GIL holder only) | {gil_wall:.1f} | {args.n / gil_wall:,.0f} "
        f"| {cores(gil_cpu, gil_wall)} | {gil_total:,} | {gil_total / (gil_wall * ticks):.2f} "
        f"| {gil_others:.2f} |",
        "",
        f"**GIL-held share: {gil_total / (gil_wall * ticks):.0%}** of the wall time some thread "
        "of the worker held the GIL.",
        "",
        "## Where the GIL time goes (--gil drain)",
        "",
        *gil_lines,
        "## All non-idle thread samples",
        "",
        *all_lines,
    ]
    text = "\n".join(lines)
    (OUT / "summary.md").write_text(text)
    print(text)
    print(f"wrote {OUT / 'summary.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
