"""Soak our worker: idle RSS at -c 10, then RSS growth over 1,000,000 jobs.

usage: .venv/bin/python -m bench.soak [--n 1000000] [--verbosity 0] [--out bench/SOAK.md]

Not run in CI: a million jobs take several minutes on a 2-core machine. Run it on a quiet
machine. A private Redis on a spare port; ONE `manage.py runworker` (-c 10, the default,
at -v 0 unless told, so the log stays small); then:
1. idle RSS: after the worker's first heartbeat and 2 s more;
2. jobs pushed with perform_bulk in chunks of 10,000, keeping at most ~60,000 waiting
   (Redis memory stays small); RSS sampled every 2 s;
3. growth = RSS at the end ÷ RSS once warm (after the first 50,000 jobs) - 1, and the same
   from the idle RSS. The samples go to bench/.work/soak-<time>.csv.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import redis

from bench.machine import code_state
from bench.measure import length, number_at
from bench.paths import BENCH, ROOT, WORK
from bench.peers.common import DONE, FINISH
from bench.procs import Worker, load_average, rss_kb
from bench.server import RedisServer
from bench.systems import ours

CHUNK = 10_000
LOW_WATER = 50_000
WARM = 50_000
SAMPLE_EVERY = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="jobs to run")
    parser.add_argument("--verbosity", default="0", help="the worker's -v (default 0)")
    parser.add_argument("--out", type=Path, default=BENCH / "SOAK.md")
    return parser.parse_args()


def setup_django(url: str, n: int) -> type:
    """Django with the benchmark settings, talking to the private Redis; the IncrJob class."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings", REDIS_URL=url, BENCH_REDIS_URL=url, BENCH_N=str(n)
    )
    import django

    django.setup()
    from bench.djangoapp.jobs import IncrJob

    return IncrJob


class Soak:
    def __init__(self, url: str, n: int, verbosity: str) -> None:
        self.url, self.n = url, n
        self.client = redis.Redis.from_url(url)
        system = ours(Path(sys.executable), url)[0]
        self.argv = [*system.worker, "-v", verbosity]
        self.system = system
        self.samples: list[tuple[float, int, int]] = []  # (seconds, jobs done, rss kB)

    def run(self) -> dict[str, float]:
        job = setup_django(self.url, self.n)
        log = WORK / "logs" / "soak.log"
        worker = Worker(self.argv, self.system.cwd, self.system.environ(self.url, self.n), log)
        try:
            idle = self.idle_rss(worker)
            print(f"idle RSS {idle / 1024:.1f} MB; pushing {self.n:,} jobs", file=sys.stderr)
            started = time.time()
            self.feed_and_sample(job, worker, started)
            seconds = time.time() - started
        finally:
            worker.stop()
        return self.summary(idle, seconds)

    def idle_rss(self, worker: Worker) -> int:
        deadline = time.time() + 60
        while not self.client.scard("processes"):
            if not worker.alive() or time.time() > deadline:
                raise SystemExit("the worker did not start; see bench/.work/logs/soak.log")
            time.sleep(0.05)
        time.sleep(2)
        return rss_kb(worker.pid)

    def feed_and_sample(self, job: type, worker: Worker, started: float) -> None:
        pushed, next_sample = 0, 0.0
        while True:
            now = time.time()
            if now >= next_sample:
                done = int(number_at(self.client, DONE))
                self.samples.append((now - started, done, rss_kb(worker.pid)))
                next_sample = now + SAMPLE_EVERY
                if len(self.samples) % 15 == 0:
                    rss = self.samples[-1][2] / 1024
                    print(f"{done:,} jobs done, RSS {rss:.1f} MB", file=sys.stderr)
            if self.client.lpop(FINISH):
                self.samples.append((time.time() - started, self.n, rss_kb(worker.pid)))
                return
            if not worker.alive():
                raise SystemExit("the worker died; see bench/.work/logs/soak.log")
            if pushed < self.n and length(self.client, "queue:default") < LOW_WATER:
                count = min(CHUNK, self.n - pushed)
                job.perform_bulk([[i] for i in range(pushed, pushed + count)])  # type: ignore[attr-defined]
                pushed += count
            else:
                time.sleep(0.05)

    def summary(self, idle: int, seconds: float) -> dict[str, float]:
        warm = next((rss for _, done, rss in self.samples if done >= min(WARM, self.n)), idle)
        end = self.samples[-1][2]
        peak = max(rss for _, _, rss in self.samples)
        return {
            "idle_mb": idle / 1024,
            "warm_mb": warm / 1024,
            "end_mb": end / 1024,
            "peak_mb": peak / 1024,
            "growth_from_warm_pct": (end / warm - 1) * 100,
            "growth_from_idle_pct": (end / idle - 1) * 100,
            "jobs_per_s": self.n / seconds,
            "seconds": seconds,
        }


def report(args: argparse.Namespace, figures: dict[str, float], load_start: str) -> str:
    load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join(
        [
            "# Soak: our worker's memory over a long run",
            "",
            f"`python -m bench.soak --n {args.n} --verbosity {args.verbosity}` on {when}: "
            f"ONE `manage.py runworker` (-c 10, -v {args.verbosity}) ran {args.n:,} jobs "
            f"(the benchmark's IncrJob) in {figures['seconds']:.0f} s "
            f"({figures['jobs_per_s']:,.0f} jobs/s, fed by perform_bulk in chunks of 10,000). "
            f"{os.cpu_count()} CPUs; load average at start {load_start}, at end {load_end}. "
            f"Code: {code_state(ROOT)}.",
            "",
            "| figure | value |",
            "|---|---:|",
            f"| idle RSS at -c 10 (after the first heartbeat + 2 s) | {figures['idle_mb']:.1f} MB |",
            f"| RSS once warm (after {min(WARM, args.n):,} jobs) | {figures['warm_mb']:.1f} MB |",
            f"| RSS at the end | {figures['end_mb']:.1f} MB |",
            f"| peak RSS (2 s samples) | {figures['peak_mb']:.1f} MB |",
            f"| growth, warm -> end | {figures['growth_from_warm_pct']:+.1f}% |",
            f"| growth, idle -> end | {figures['growth_from_idle_pct']:+.1f}% |",
            "",
            "Targets (issue 8): idle RSS <= 80 MB; growth <= 10% over 1,000,000 jobs.",
            "",
        ]
    )


def main() -> int:
    args = parse_args()
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load_average():.2f}", file=sys.stderr)
    server = RedisServer()
    server.start()
    soak = Soak(server.url, args.n, args.verbosity)
    try:
        figures = soak.run()
    finally:
        server.stop()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    samples = WORK / f"soak-{stamp}.csv"
    with samples.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["seconds", "jobs_done", "rss_kb"])
        writer.writerows(soak.samples)
    text = report(args, figures, load_start)
    args.out.write_text(text)
    print(text)
    print(f"wrote {args.out}; samples in {samples}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
