"""`runworker --processes 2` against one process, side by side in one run.

usage: .venv/bin/python -m bench.swarm [--n-cpu 4000] [--n-noop 20000] [--reps 2]
                                       [--out bench/SWARM.md]

A private Redis on a spare port. For each rep, each job kind and each worker in turn
(one plain `manage.py runworker -v 0`, then `runworker --processes 2 -v 0`; both -c 10):
N jobs are pushed first (perform_bulk), then the worker is started and drains them.
- cpu: CpuJob, 1 ms of Python CPU on the job thread's own clock, then INCR: the case
  several processes are for (one process runs Python on one core at a time);
- noop: IncrJob, the benchmark's job (bench/README.md), which mostly waits on Redis.
Steady jobs/s = (N - 1) / (last job's end - first job's end), so start-up is left out;
each cell is the median over the reps. CPU ms per job: the worker's processes' CPU time
(supervisor and children, start-up and stop included) / N, which the machine's other
load does not change much: equal figures mean the second process adds no work per job.
The goal (issue 20): cpu, 2 processes >= 1.7x one, on a 2-core machine. Run it on a quiet
machine: other load takes cores from the 2 processes first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import redis

from bench.machine import code_state
from bench.paths import BENCH, ROOT, WORK
from bench.peers.common import FINISH, FIRST, LAST
from bench.procs import Worker
from bench.server import RedisServer

KINDS = {"cpu": "CpuJob", "noop": "IncrJob"}
WORKERS = {1: [], 2: ["--processes", "2"]}
CHUNK = 10_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.swarm", description=__doc__)
    parser.add_argument("--n-cpu", type=int, default=4_000, help="CPU jobs per drain")
    parser.add_argument("--n-noop", type=int, default=20_000, help="no-op jobs per drain")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--out", type=Path, default=BENCH / "SWARM.md")
    return parser.parse_args()


def setup_django(url: str) -> dict[str, type]:
    """Django with the benchmark settings, talking to the private Redis; the job classes."""
    os.environ.update(DJANGO_SETTINGS_MODULE="bench.settings", REDIS_URL=url, BENCH_REDIS_URL=url)
    import django

    django.setup()
    from bench.djangoapp import jobs

    return {kind: getattr(jobs, name) for kind, name in KINDS.items()}


def drain(url: str, job: type, n: int, processes: int, log: Path) -> tuple[float, float]:
    """Push `n` jobs, start the worker, wait for the last; (steady jobs/s, CPU ms per job)."""
    client = redis.Redis.from_url(url)
    client.flushdb()
    for start in range(0, n, CHUNK):
        job.perform_bulk([[i] for i in range(start, min(n, start + CHUNK))])  # type: ignore[attr-defined]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "REDIS_URL": url,
        "BENCH_REDIS_URL": url,
        "BENCH_N": str(n),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    argv = [sys.executable, "manage.py", "runworker", "-v", "0", *WORKERS[processes]]
    before = _children_cpu()
    worker = Worker(argv, ROOT, env, log)
    try:
        if not client.blpop([FINISH], timeout=max(120, n // 50)):
            raise SystemExit(f"the worker did not finish {n} jobs; see {log}")
        first, last = float(client.get(FIRST) or 0), float(client.get(LAST) or 0)
    finally:
        worker.stop()  # waited for: its CPU, and its children's, is in os.times() now
        client.close()
    cpu_ms = (_children_cpu() - before) * 1000 / n
    return ((n - 1) / (last - first) if last > first else 0.0), cpu_ms


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


Figures = dict[tuple[str, int], list[tuple[float, float]]]  # (kind, processes) -> reps


def run(url: str, args: argparse.Namespace) -> Figures:
    jobs = setup_django(url)
    sizes = {"cpu": args.n_cpu, "noop": args.n_noop}
    rates: Figures = {}
    for rep in range(args.reps):
        for kind, job in jobs.items():
            for processes in WORKERS:
                log = WORK / "logs" / f"swarm-{kind}-{processes}-{rep}.log"
                rate, cpu = drain(url, job, sizes[kind], processes, log)
                rates.setdefault((kind, processes), []).append((rate, cpu))
                print(
                    f"{kind} x{processes}: {rate:,.0f} jobs/s, {cpu:.3f} CPU ms/job",
                    file=sys.stderr,
                )
    return rates


def report(args: argparse.Namespace, rates: Figures, load: str) -> str:
    end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Several worker processes: `runworker --processes 2` against one",
        "",
        f"`python -m bench.swarm --n-cpu {args.n_cpu} --n-noop {args.n_noop} --reps "
        f"{args.reps}` on {when}; {os.cpu_count()} CPUs; load average at start {load}, at "
        f"end {end}. Code: {code_state(ROOT)}. Both workers -c 10, -v 0, draining a queue "
        "filled beforehand; steady jobs/s (first to last job), median (min-max) of the reps.",
        "",
        "| jobs | 1 process | `--processes 2` | ratio | CPU ms per job, 1 / 2 processes |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, label in (("cpu", "1 ms of Python CPU each"), ("noop", "no-op (one INCR)")):
        one, two = [r for r, _ in rates[(kind, 1)]], [r for r, _ in rates[(kind, 2)]]
        ratio = statistics.median(two) / statistics.median(one) if statistics.median(one) else 0
        cpu = [statistics.median(c for _, c in rates[(kind, p)]) for p in (1, 2)]
        lines.append(
            f"| {label} | {_cell(one)} | {_cell(two)} | {ratio:.2f}x | {cpu[0]:.3f} / {cpu[1]:.3f} |"
        )
    lines += ["", "Goal (issue 20): 1 ms CPU jobs, 2 processes >= 1.7x one on 2 cores.", ""]
    busiest = max(float(load.split(maxsplit=1)[0]), float(end.split(maxsplit=1)[0]))
    if busiest > (os.cpu_count() or 1) / 2:
        lines += [
            f"The machine was busy (1-minute load up to {busiest:.1f} on {os.cpu_count()} "
            "CPUs): other processes took CPU time from the workers, and two processes get a "
            "larger share of a contended machine than one, which inflates the ratios. The CPU "
            "per job is the steadier figure. Rerun on a quiet machine before quoting these.",
            "",
        ]
    return "\n".join(lines)


def _cell(values: list[float]) -> str:
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:,.0f}"
    return f"{middle:,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def main() -> int:
    args = parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    server = RedisServer()
    server.start()
    try:
        rates = run(server.url, args)
    finally:
        server.stop()
    text = report(args, rates, load)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
