"""What the history of finished jobs costs: the same no-op load with it on and off.

usage: .venv/bin/python -m bench.history [--n 20000] [--reps 3] [--verbosity 0] [--pin]
                                         [--null]

A private Redis on a spare port; for each rep, both settings one after the other (the
order alternates between reps, so a machine getting busier does not favour one): the
queue is filled with N IncrJob jobs (perform_bulk), ONE `manage.py runworker -v 0`
(-c 10) drains it, and the steady rate is (N - 1) / (end of the last job - start of
the first). History on is bench.settings (HISTORY_SIZE 100,000, the default); off is
bench.settings_no_history (HISTORY_SIZE 0). The result is the ratio of the medians,
on / off (issue 18's goal: at least 0.95), and the median and mean of each rep's own
ratio, each with a 95% bootstrap interval. `--null` runs both drains with the history
off: what the same statistics say when nothing differs (the noise floor).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import redis

from bench.paths import WORK
from bench.peers.common import FINISH, FIRST, LAST
from bench.procs import Worker, cpu_seconds, cpu_split, load_average
from bench.server import RedisServer
from bench.soak import setup_django
from bench.systems import ours

SETTINGS = {"on": "bench.settings", "off": "bench.settings_no_history"}
CHUNK = 10_000
RESAMPLES = 10_000  # bootstrap resamples of the pairs for the 95% intervals


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__)
    parser.add_argument("--n", type=int, default=20_000, help="jobs per drain")
    parser.add_argument("--reps", type=int, default=3, help="drains of each setting")
    parser.add_argument("--verbosity", default="0", help="the worker's -v (default 0)")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="Redis on the last core, the worker on the first (less noise between drains)",
    )
    parser.add_argument(
        "--null", action="store_true", help="both drains with the history off (the noise floor)"
    )
    return parser.parse_args()


def worker_core(args: argparse.Namespace) -> int | None:
    """The core the worker is pinned to (`--pin`; Redis gets the last), or None."""
    cores = sorted(os.sched_getaffinity(0))
    return cores[0] if args.pin and len(cores) > 1 else None


def drain(url: str, job: type, mode: str, args: argparse.Namespace, redis_pid: int) -> Drain:
    """Fill the queue with N jobs, drain it with one worker: steady jobs/s, CPU per job."""
    n = args.n
    client = redis.Redis.from_url(url)
    client.flushdb()
    for start in range(0, n, CHUNK):
        count = min(CHUNK, n - start)
        job.perform_bulk([[i] for i in range(start, start + count)])  # type: ignore[attr-defined]
    system = ours(Path(sys.executable), url)[0]
    settings = SETTINGS["off" if args.null else mode]
    env = {**system.environ(url, n), "DJANGO_SETTINGS_MODULE": settings}
    log = WORK / "logs" / f"history-{mode}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    core = worker_core(args)
    pinned = ["taskset", "-c", str(core)] if core is not None else []
    worker = Worker([*pinned, *system.worker, "-v", args.verbosity], system.cwd, env, log)
    try:
        deadline = time.time() + 120
        while not client.exists(FIRST) and worker.alive() and time.time() < deadline:
            time.sleep(0.01)
        cpu = cpu_split(worker.pid), cpu_seconds(redis_pid)
        if client.blpop([FINISH], timeout=600) is None:
            raise SystemExit(f"the worker did not finish; see {log}")
        user, kernel = (b - a for a, b in zip(cpu[0], cpu_split(worker.pid), strict=True))
        redis_used = cpu_seconds(redis_pid) - cpu[1]
        first, last = float(client.get(FIRST) or 0), float(client.get(LAST) or 0)
        expected = n if settings == SETTINGS["on"] else 0
        deadline = time.time() + 10  # the history is written within a second of the end
        while (kept := client.llen("jobs:history")) != expected and time.time() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    if kept != expected:
        raise SystemExit(f"history {mode}: {kept} jobs in jobs:history, expected {expected}")
    per_job = [seconds / n * 1e6 for seconds in (user + kernel, kernel, redis_used)]
    return Drain((n - 1) / (last - first), *per_job)


class Drain(NamedTuple):
    rate: float  # jobs/s, first job's start to the last one's end
    worker_us: float  # worker CPU per job (user + system), same span roughly
    system_us: float  # of which in the kernel (system calls: sockets, futexes)
    redis_us: float  # Redis CPU per job


def interval(pairs: list[float], statistic: Callable[[list[float]], float]) -> str:
    """`statistic` of the pairs with its 95% bootstrap interval, as "0.981 (0.962-0.995)"."""
    draw = random.Random(18)  # the same pairs give the same interval
    resampled = sorted(statistic(draw.choices(pairs, k=len(pairs))) for _ in range(RESAMPLES))
    low, high = resampled[int(0.025 * RESAMPLES)], resampled[int(0.975 * RESAMPLES) - 1]
    return f"{statistic(pairs):.3f} ({low:.3f}-{high:.3f})"


def measure(args: argparse.Namespace) -> dict[str, list[Drain]]:
    """Every drain of both settings, alternating which goes first, on a private Redis."""
    server = RedisServer()
    server.start()
    runs: dict[str, list[Drain]] = {"on": [], "off": []}
    pid = server.process.pid if server.process is not None else 0
    if worker_core(args) is not None:
        os.sched_setaffinity(pid, {sorted(os.sched_getaffinity(0))[-1]})
    try:
        job = setup_django(server.url, args.n)
        for rep in range(args.reps):
            for mode in ("on", "off") if rep % 2 == 0 else ("off", "on"):
                done = drain(server.url, job, mode, args, pid)
                runs[mode].append(done)
                print(
                    f"rep {rep + 1} history {mode}: {done.rate:,.0f} jobs/s, CPU per job: "
                    f"worker {done.worker_us:.0f} us (system {done.system_us:.0f}), "
                    f"Redis {done.redis_us:.0f} us",
                    file=sys.stderr,
                )
    finally:
        server.stop()
    return runs


def main() -> int:
    args = parse_args()
    load_start = load_average()
    runs = measure(args)
    med = {m: Drain(*(statistics.median(col) for col in zip(*runs[m], strict=True))) for m in runs}
    # Each rep's two drains ran back to back: their ratio is free of the drift between reps.
    pairs = [a.rate / b.rate for a, b in zip(runs["on"], runs["off"], strict=True)]
    on, off = med["on"], med["off"]
    cpu_on, cpu_off = on.worker_us + on.redis_us, off.worker_us + off.redis_us
    print(
        f"history on {on.rate:,.0f} jobs/s, off {off.rate:,.0f} jobs/s (medians of {args.reps}); "
        f"on/off = {on.rate / off.rate:.3f}; pairwise on/off: median "
        f"{interval(pairs, statistics.median)}, mean {interval(pairs, statistics.mean)} "
        f"(95% bootstrap intervals). CPU per job (worker + Redis): on {cpu_on:.0f} us, "
        f"off {cpu_off:.0f} us; worker's system time on {on.system_us:.0f} us, "
        f"off {off.system_us:.0f} us. N = {args.n:,}, -c 10, -v {args.verbosity}"
        f"{'; pinned' if worker_core(args) is not None else ''}"
        f"{'; NULL: both drains with the history off' if args.null else ''}; "
        f"load average {load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
