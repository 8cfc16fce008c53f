"""Run the benchmark: our worker and its peers, same method, same run, one private Redis.

usage: bench/run [--quick] [--tasks] [--reps R] [--n 10000,50000] [--only KEY,...]
                 [--no-peers] [--processes 4] [--wait-quiet MINUTES] [--max-load 1.0]
                 [--out FILE]

1. Prepare: the peers' venvs under bench/.work/, Debian's ruby-sidekiq (as root),
   bytecode of our code, a private redis-server on a spare loopback port.
2. For each rep: the ceiling (redis-py, redis-benchmark), a fresh idle worker's RSS,
   then for each N every system (bulk enqueue, then one-at-a-time enqueue, drain,
   latency), then several worker processes of ours together.
3. Stop Redis; write every row to bench/.work/results/ and the tables to RESULTS.md
   (--quick: bench/.work/RESULTS-quick.md, so the committed results stay).
--quick: N = 1,000, one rep, no peers (our django.tasks row too when jobs.tasks exists);
well under a minute; never judges a timing, fails only when our worker does not process
the jobs.
--tasks: only the django.tasks rows (ours, django-tasks-db, django-tasks-rq, Huey's,
threadmill) and our Job row beside them, N = 10,000.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import ceiling, machine, report, scheduling, taskrow
from bench.measure import Bench, Row, write_jsonl
from bench.paths import BENCH, ROOT, WORK
from bench.procs import load_average
from bench.server import RedisServer, benchmark_tool
from bench.systems import System, ours, peers, sidekiq
from bench.venvs import ARQ, PEERS, ensure_venv, installed_versions

STAMP = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
RUN_LOG = WORK / "logs" / f"run-{STAMP}.log"


def say(message: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {message}"
    print(line, file=sys.stderr, flush=True)
    RUN_LOG.parent.mkdir(parents=True, exist_ok=True)
    with RUN_LOG.open("a") as log:
        log.write(line + "\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=1000, 1 rep, no peers")
    parser.add_argument(
        "--tasks", action="store_true", help="only the django.tasks rows and our Job row"
    )
    parser.add_argument("--reps", type=int, help="repetitions (default 2; --quick 1)")
    parser.add_argument("--n", help="comma-separated N values (default 10000,50000)")
    parser.add_argument("--only", default="", help="system keys, e.g. jobs-info,sidekiq-warn")
    parser.add_argument("--no-peers", action="store_true", help="only our worker")
    parser.add_argument(
        "--slow-peers-every-n",
        action="store_true",
        help="run rq, celery and arq at every N too (by default only at N <= 10,000)",
    )
    parser.add_argument("--processes", type=int, help="workers of ours together (default 4)")
    parser.add_argument("--sched-n", type=int, default=scheduling.N, help="scheduling row's jobs")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="MINUTES",
        help="first wait up to MINUTES for the 1-min load average to drop below --max-load",
    )
    parser.add_argument("--max-load", type=float, default=1.0)
    parser.add_argument("--out", type=Path, help="the markdown report to write")
    parser.add_argument(
        "--render",
        type=Path,
        metavar="RAW.jsonl",
        help="only write the report again from a run's raw rows (bench/.work/results/)",
    )
    args = parser.parse_args(argv)
    args.reps = args.reps or (1 if args.quick else 2)
    if args.tasks:
        args.only = args.only or ",".join(taskrow.ROWS)
        args.processes = args.processes or 1
    args.processes = 4 if args.processes is None else args.processes
    default_ns = [1000] if args.quick else [10_000] if args.tasks else [10_000, 50_000]
    args.ns = [int(x) for x in args.n.split(",")] if args.n else default_ns
    args.out = args.out or (WORK / "RESULTS-quick.md" if args.quick else BENCH / "RESULTS.md")
    return args


def wait_quiet(minutes: float, max_load: float) -> None:
    deadline = time.time() + minutes * 60
    while load_average() >= max_load and time.time() < deadline:
        say(f"load average {load_average():.2f} >= {max_load}: waiting for a quiet machine")
        time.sleep(60)
    say(f"load average {load_average():.2f}: starting")


def choose_systems(args: argparse.Namespace, url: str, notes: list[str]) -> list[System]:
    only = {key for key in args.only.split(",") if key}
    python = Path(sys.executable)
    systems = ours(python, url)
    if args.quick or args.no_peers:
        systems += taskrow.ours(python, url, notes)
    else:
        # Each group's venvs are built only when one of its rows is asked for.
        groups = ("jobs-", "tasks-", *scheduling.KEYS)
        other_peers = not only or any(not key.startswith(groups) for key in only)
        if other_peers or "sched-sidekiq" in only:
            ready, note = machine.sidekiq_ready()
            if note:
                notes.append(note)
            if ready:
                systems += sidekiq()
        if other_peers:
            systems += peers(ensure_venv("peers", PEERS), ensure_venv("arq", ARQ), url)
        if not only or any(key.startswith("tasks-") for key in only):
            systems += taskrow.systems(python, url, notes)
    systems += scheduling.variants(systems)
    return [s for s in systems if not only or s.key in only]


def versions(systems: list[System], server: RedisServer) -> dict[str, Any]:
    found: dict[str, Any] = {"redis-server": f"{server.version()} ({server.origin})"}
    found["ours"] = machine.ours_versions(Path(sys.executable))
    keys = {s.key for s in systems}
    if keys & {"sidekiq-info", "sidekiq-warn"}:
        found["sidekiq"] = machine.sidekiq_versions()
    if keys & {"dramatiq", "huey", "celery", "rq"}:
        names = ["rq", "dramatiq", "celery", "kombu", "huey", "redis", "hiredis"]
        found["peers"] = installed_versions(WORK / "venv-peers", names)
    if "arq" in keys:
        found["arq"] = installed_versions(WORK / "venv-arq", ["arq", "redis", "hiredis"])
    if keys & {"tasks-db", "tasks-rq", "tasks-huey"}:
        names = ["django", "django-tasks", "django-tasks-db", "django-tasks-rq", "django-rq"]
        names += ["rq", "huey", "psycopg", "redis", "hiredis"]
        found["django.tasks peers"] = installed_versions(WORK / "venv-tasks", names)
    if "tasks-threadmill" in keys:
        names = ["threadmill", "django", "redis", "hiredis"]
        found["threadmill"] = installed_versions(WORK / "venv-threadmill", names)
    return found


SHOWN_ENV = ("DJANGO_SETTINGS_MODULE", "BENCH_LOG_LEVEL")


def describe(systems: list[System]) -> dict[str, dict[str, Any]]:
    def command(system: System) -> str:
        env = [f"{k}={v}" for k, v in system.env.items() if k in SHOWN_ENV]
        return " ".join([*env, Path(system.worker[0]).name, *system.worker[1:]])

    return {
        s.key: {
            "name": s.name,
            "setting": s.setting,
            "ours": s.ours,
            "group": s.group,
            "command": command(s),
        }
        for s in systems
    }


def measure_ceiling(bench: Bench, server: RedisServer, rep: int, quick: bool) -> Row:
    row: Row = {"kind": "ceiling", "rep": rep, "load": load_average()}
    bench.reset()
    argv = [sys.executable, "-m", "bench.ceiling", server.url, "1" if quick else "3"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode == 0:
        row.update(json.loads(done.stdout.strip().splitlines()[-1]))
    else:
        row["error"] = done.stderr.strip()[-500:]
    tool = benchmark_tool()
    if tool:
        row.update(ceiling.redis_benchmark(tool, server.port, 20_000 if quick else 200_000))
    else:
        row["note"] = "no redis-benchmark on this machine (Debian: redis-tools)"
    bench.reset()
    return row


def guard(measure: Callable[[], Row], kind: str, system: System, n: int, rep: int) -> Row:
    """Run one measurement; a failure becomes a row with its error, and the run goes on."""
    try:
        return measure()
    except Exception as exc:
        return {"kind": kind, "system": system.key, "n": n, "rep": rep, "error": repr(exc)[-1500:]}


class Run:
    """One run: every rep of every measurement, rows kept in order and on disk."""

    def __init__(self, args: argparse.Namespace, bench: Bench, server: RedisServer) -> None:
        self.args = args
        self.bench = bench
        self.server = server
        self.rows: list[Row] = []
        self.raw = WORK / "results" / f"{STAMP}{'-quick' if args.quick else ''}.jsonl"

    def record(self, row: Row) -> None:
        self.rows.append(row)
        write_jsonl(self.raw, row)
        shown = {
            k: (round(v, 3) if isinstance(v, float) else v)
            for k, v in row.items()
            if not k.endswith("_cmds")
        }
        say(json.dumps(shown))

    def ours_failed(self) -> bool:
        return any(
            r.get("error") and str(r.get("system", "")).startswith(("jobs", "tasks-jobs"))
            for r in self.rows
        )

    def rep(self, rep: int, systems: list[System]) -> None:
        args, bench = self.args, self.bench
        self.record(measure_ceiling(bench, self.server, rep, args.quick))
        default = next((s for s in systems if s.key == "jobs-info"), None)
        if default:
            self.record(bench.idle_rss(default, rep))
        for n in args.ns:
            for system in systems:
                if system.max_n and n > system.max_n and not args.slow_peers_every_n:
                    continue
                if scheduling.is_scheduling(system):
                    continue
                self.system(system, n, rep)
        if default and args.processes > 1:
            n = max(args.ns)
            multi = guard(
                lambda: bench.multi(default, args.processes, n, rep), "multi", default, n, rep
            )
            self.record(multi)
        for row in scheduling.run(bench, systems, sorted({1, args.processes}), args.sched_n, rep):
            self.record(row)

    def system(self, system: System, n: int, rep: int) -> None:
        bench = self.bench
        if system.bulk:
            self.record(guard(lambda: bench.bulk(system, n, rep), "bulk", system, n, rep))
        self.record(guard(lambda: bench.throughput(system, n, rep), "run", system, n, rep))


def render_again(raw: Path, out: Path) -> int:
    meta = json.loads(raw.with_suffix(".meta.json").read_text())
    rows = [json.loads(line) for line in raw.read_text().splitlines() if line.strip()]
    out.write_text(report.render(meta, rows))
    say(f"wrote {out} from {raw}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        return render_again(args.render, args.out)
    if args.wait_quiet:
        wait_quiet(args.wait_quiet, args.max_load)
    meta: dict[str, Any] = {"machine": machine.machine(), "started": time.time()}
    meta.update(command=" ".join(["bench/run", *sys.argv[1:]]), quick=args.quick)
    meta.update(reps=args.reps, ns=args.ns, processes=args.processes)
    meta["code"] = machine.code_state(ROOT)
    say(f"{meta['command']} (load average {meta['machine']['load_at_start']})")
    for folder in (ROOT / "jobs", ROOT / "project", BENCH):
        compileall.compile_dir(folder, quiet=1, rx=re.compile(r"/\.work/"))
    notes: list[str] = []
    server = RedisServer()
    server.start()
    say(f"private Redis at {server.url} ({server.origin})")
    run = Run(args, Bench(server.url, server.pid, say), server)
    try:
        systems = choose_systems(args, server.url, notes)
        meta["versions"] = versions(systems, server)
        meta["systems"] = describe(systems)
        capped = [s.name for s in systems if s.max_n and s.max_n < max(args.ns)]
        if capped and not args.slow_peers_every_n:
            notes.append(
                f"{', '.join(capped)} ran at N <= {min(s.max_n or 0 for s in systems if s.max_n):,}"
                " only: their longer drains take minutes each (--slow-peers-every-n runs them)."
            )
        for rep in range(1, args.reps + 1):
            run.rep(rep, systems)
    finally:
        server.stop()
        meta["finished"] = time.time()
        meta["load_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    meta.update(notes=notes, raw=str(run.raw.relative_to(ROOT)))
    run.raw.with_suffix(".meta.json").write_text(json.dumps(meta, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.render(meta, run.rows))
    say(f"wrote {args.out} ({len(run.rows)} rows; raw rows in {run.raw})")
    if run.ours_failed():
        say("our worker failed a measurement (see the notes at the end of the report)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
