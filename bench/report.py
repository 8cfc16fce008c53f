"""Turn the rows of one run into bench/RESULTS.md: every figure, ratios, targets, versions.

Each cell is the median over reps, with (min-max) when there were several.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from typing import Any

from bench import scheduling

Row = dict[str, Any]
TOP_COMMANDS = 8


def values(rows: Iterable[Row], key: str) -> list[float]:
    return [float(r[key]) for r in rows if isinstance(r.get(key), (int, float))]


def median(rows: Iterable[Row], key: str) -> float | None:
    found = values(rows, key)
    return statistics.median(found) if found else None


def number(x: float, digits: int) -> str:
    return f"{x:,.{digits}f}"


def cell(rows: Iterable[Row], key: str, digits: int = 0, scale: float = 1.0) -> str:
    found = [v * scale for v in values(rows, key)]
    if not found:
        return "-"
    middle = number(statistics.median(found), digits)
    if len(found) == 1:
        return middle
    return f"{middle} ({number(min(found), digits)}-{number(max(found), digits)})"


def spread(rows: Iterable[Row], key: str) -> str:
    """min-max of a figure over rows (for the interference columns)."""
    found = values(rows, key)
    return f"{min(found):.2f}-{max(found):.2f}" if found else "-"


def ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "-"
    return f"{ours / theirs:.2f}x"


class Results:
    """The rows of one run, grouped the ways the tables need them."""

    def __init__(self, meta: dict[str, Any], rows: list[Row]) -> None:
        self.meta = meta
        self.rows = rows
        self.systems: dict[str, dict[str, Any]] = meta.get("systems", {})
        self.ns: list[int] = meta.get("ns", [])

    def select(self, kind: str, system: str | None = None, n: int | None = None) -> list[Row]:
        return [
            r
            for r in self.rows
            if r.get("kind") == kind
            and not r.get("error")
            and (system is None or r.get("system") == system)
            and (n is None or r.get("n") == n)
        ]

    def value(self, kind: str, system: str, key: str, n: int | None = None) -> float | None:
        return median(self.select(kind, system, n), key)

    def label(self, key: str) -> str:
        info = self.systems.get(key, {})
        return f"{info.get('name', key)}, {info.get('setting', '')}".rstrip(", ")

    def peer_keys(self) -> list[str]:
        """The Job-API peers (the django.tasks rows have their own table, report_tasks)."""
        return [
            k
            for k, info in self.systems.items()
            if not info.get("ours") and info.get("group", "jobs") == "jobs"
        ]


def render(meta: dict[str, Any], rows: list[Row]) -> str:
    from bench import report_tasks  # it builds on this module's helpers

    res = Results(meta, rows)
    parts = [
        header(res),
        targets(res),
        every_figure(res),
        ratios(res),
        report_tasks.render(res),
        redis_work(res),
        ceiling_table(res),
        ours_extra(res),
        scheduling.render(rows),
        environment(res),
        problems(res),
    ]
    return "\n".join(p for p in parts if p)


def header(res: Results) -> str:
    meta = res.meta
    machine = meta["machine"]
    minutes = (meta.get("finished", meta["started"]) - meta["started"]) / 60
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(meta["started"]))
    quick = " **(--quick: N = 1,000, one rep, no peers; proves the harness, not the speed)**"
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{meta['command'].strip()}` on {started} in {minutes:.1f} min"
        + (quick if meta.get("quick") else "")
        + ". Method: `../shared/BENCH.md` (kept); harness: [bench/README.md](README.md).",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']}, "
        f"Linux {machine['kernel']}; load average (1, 5, 15 min) at start "
        f"**{machine['load_at_start']}**, at end {meta.get('load_at_end', '?')}. "
        f"Code measured: {meta.get('code', '?')}. "
        f"N = {', '.join(f'{n:,}' for n in res.ns)}; reps = {meta['reps']}; "
        "each cell is the median (min-max) over reps. "
        f"{interference(res)}Raw rows: "
        f"`{meta.get('raw', '?')}` (not committed).",
        "",
    ]
    return "\n".join(lines)


def interference(res: Results) -> str:
    """One sentence on what the rest of the machine did during the drains."""
    found = values((r for r in res.rows if r.get("kind") in ("run", "multi")), "other_cpu_drain")
    if not found:
        return ""
    return (
        f"CPU used by the rest of the machine during the drains (not the worker, Redis or the "
        f"driver): median {statistics.median(found):.2f} cores, max {max(found):.2f}, of "
        f"{res.meta['machine']['nproc']}. "
    )


def targets(res: Results) -> str:
    lines = [
        "## Issue 8 targets",
        "",
        "| figure | ours | compared with | ratio | target | met |",
        "|---|---:|---|---:|---|---|",
    ]

    def add(figure: str, ours: str, other: str, value: str, target: str, met: bool | None) -> None:
        verdict = "-" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {figure} | {ours} | {other} | {value} | {target} | {verdict} |")

    def versus(key: str, peer: str, n: int, goal: float, what: str) -> None:
        ours = res.value("run", key, "process_rate", n)
        theirs = res.value("run", peer, "process_rate", n)
        if ours is None or theirs is None:
            return
        add(
            f"process jobs/s, N = {n:,}, {what}",
            cell(res.select("run", key, n), "process_rate"),
            f"{res.label(peer)}: {cell(res.select('run', peer, n), 'process_rate')}",
            ratio(ours, theirs),
            f">= {goal:.1f}x",
            ours / theirs >= goal,
        )

    for n in res.ns:
        versus("jobs-info", "dramatiq", n, 2.0, "INFO log")
        versus("jobs-info", "sidekiq-info", n, 1.0, "INFO log")
        versus("jobs-v0", "sidekiq-warn", n, 1.0, "-v 0")
    first = res.ns[0] if res.ns else None
    enqueue = res.value("run", "jobs-info", "enqueue_rate", first)
    ping = median(res.select("ceiling"), "ping_rt_per_s")
    if enqueue and ping:
        add(
            f"enqueue, one perform_async at a time (N = {first:,})",
            cell(res.select("run", "jobs-info", first), "enqueue_rate"),
            f"redis-py PING round trips/s: {cell(res.select('ceiling'), 'ping_rt_per_s')}",
            ratio(enqueue, ping),
            ">= 0.9x",
            enqueue / ping >= 0.9,
        )
    bulk_n = 10_000 if 10_000 in res.ns else first
    ours_bulk = res.value("bulk", "jobs-info", "bulk_rate", bulk_n)
    their_bulk = res.value("bulk", "sidekiq-info", "bulk_rate", bulk_n)
    if ours_bulk and their_bulk and bulk_n:
        add(
            f"perform_bulk of {bulk_n:,}",
            cell(res.select("bulk", "jobs-info", bulk_n), "bulk_rate"),
            f"Sidekiq push_bulk: {cell(res.select('bulk', 'sidekiq-info', bulk_n), 'bulk_rate')}",
            ratio(ours_bulk, their_bulk),
            ">= 1.0x",
            ours_bulk / their_bulk >= 1.0,
        )
    ours_runs = res.select("run", "jobs-info")
    p50, p99 = median(ours_runs, "lat_p50_ms"), median(ours_runs, "lat_p99_ms")
    sidekiq_p50 = median(res.select("run", "sidekiq-info"), "lat_p50_ms")
    if p50 is not None and sidekiq_p50 is not None:
        add(
            "latency p50, ms (idle worker, 5 ms gap; all runs)",
            cell(ours_runs, "lat_p50_ms", 2),
            f"Sidekiq -c 10 INFO: {cell(res.select('run', 'sidekiq-info'), 'lat_p50_ms', 2)}",
            ratio(p50, sidekiq_p50),
            "<= Sidekiq's",
            p50 <= sidekiq_p50,
        )
    if p99 is not None:
        add("latency p99, ms", cell(ours_runs, "lat_p99_ms", 2), "", "", "<= 2 ms", p99 <= 2.0)
    last = res.ns[-1] if res.ns else None
    framework = res.value("run", "jobs-info", "framework_cmds_per_job", last)
    if framework is not None and last:
        runs = res.select("run", "jobs-info", last)
        add(
            f"Redis commands per processed job, fetch + ack + stats (N = {last:,})",
            cell(runs, "framework_cmds_per_job", 2),
            f"round trips per job, the same: {cell(runs, 'framework_rt_per_job', 2)}",
            "",
            "<= 3",
            framework <= 3.0,
        )
    rss = median(res.select("rss", "jobs-info"), "idle_rss_kb")
    if rss is not None:
        add(
            "idle worker RSS at -c 10, MB (fresh, after its first heartbeat)",
            cell(res.select("rss", "jobs-info"), "idle_rss_kb", 1, 1 / 1024),
            "",
            "",
            "<= 80 MB",
            rss / 1024 <= 80,
        )
    add(
        "RSS growth over a 1,000,000-job soak",
        "not in this run",
        "bench/soak.py",
        "",
        "<= 10%",
        None,
    )
    for row_n in {r["n"] for r in res.select("multi")}:
        multi = res.select("multi", n=row_n)
        jobs_s = median(multi, "process_rate")
        bound = redis_bound(res, multi)
        processes = multi[0].get("processes", "?")
        add(
            f"{processes} worker processes of ours, total jobs/s (N = {row_n:,})",
            cell(multi, "process_rate"),
            f"Redis-bound ceiling: {number(bound, 0) if bound else '-'} jobs/s",
            ratio(jobs_s, bound),
            "report",
            None,
        )
    return "\n".join([*lines, ""])


def redis_bound(res: Results, multi: list[Row]) -> float | None:
    """Redis commands/s (redis-benchmark, 50 one-command clients) ÷ commands per job."""
    capacity = median(res.select("ceiling"), "lpush_c50")
    per_job = median(multi, "process_cmds_per_job")
    if not capacity or not per_job:
        return None
    return capacity / per_job


def every_figure(res: Results) -> str:
    lines = [
        "## Every figure",
        "",
        "process jobs/s = N ÷ (end of the N-th job - just before the worker was spawned); "
        "steady = from the first job's start; latency = start - enqueue of 200 jobs 5 ms apart "
        "on the idle worker; commands and round trips per job during the drain include the "
        "job body's own INCR; idle RSS = the worker's whole process group after the run; "
        "CPU = the worker's CPU seconds from spawn to the N-th job, per 1,000 jobs. "
        "Interference: the 1-minute load average at the start of each measurement (it "
        "counts the benchmark's own worker, Redis and enqueuer too), and *others' CPU*: the "
        "cores the rest of the machine kept busy during the drain (all busy CPU less the "
        "worker, Redis and the driver), min-max over reps.",
        "",
        "| system, one worker process | N | enqueue/s, one at a time | bulk enqueue/s "
        "| process jobs/s | steady jobs/s | startup s | latency p50 ms | latency p99 ms "
        "| Redis cmds/job | round trips/job | CPU s per 1k jobs | idle RSS MB "
        "| load avg at start | others' CPU, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for n in res.ns:
        for key in res.systems:
            runs = res.select("run", key, n)
            bulk = res.select("bulk", key, n)
            everything = [r for r in res.rows if r.get("system") == key and r.get("n") == n]
            if not everything:
                continue
            for r in runs:
                r["cpu_per_1k"] = r["worker_cpu_s"] / n * 1000 if "worker_cpu_s" in r else None
            load = spread(everything, "load")
            others = spread(runs, "other_cpu_drain")
            lines.append(
                f"| {res.label(key)} | {n:,} | {cell(runs, 'enqueue_rate')} "
                f"| {cell(bulk, 'bulk_rate') if bulk else 'n/a'} | {cell(runs, 'process_rate')} "
                f"| {cell(runs, 'steady_rate')} | {cell(runs, 'startup_seconds', 2)} "
                f"| {cell(runs, 'lat_p50_ms', 2)} | {cell(runs, 'lat_p99_ms', 2)} "
                f"| {cell(runs, 'process_cmds_per_job', 2)} | {cell(runs, 'process_rt_per_job', 2)} "
                f"| {cell(runs, 'cpu_per_1k', 3)} | {cell(runs, 'idle_rss_kb', 1, 1 / 1024)} "
                f"| {load} | {others} |"
            )
    return "\n".join([*lines, ""])


def ratios(res: Results) -> str:
    peers = res.peer_keys()
    if not peers:
        return ""
    lines = [
        "## Ours ÷ each peer",
        "",
        "Above 1.00x means ours is faster (for latency: ours is slower). Medians of this run.",
        "",
        "| peer | N | process jobs/s: ours INFO ÷ peer | ours -v 0 ÷ peer | enqueue one at a time "
        "| bulk enqueue | latency p50 ours ÷ peer | latency p99 ours ÷ peer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def of(kind: str, key: str, field: str, n: int | None) -> float | None:
        return res.value(kind, key, field, n)

    for n in res.ns:
        for peer in peers:
            if not res.select("run", peer, n) and not res.select("bulk", peer, n):
                continue
            lines.append(
                f"| {res.label(peer)} | {n:,} "
                f"| {ratio(of('run', 'jobs-info', 'process_rate', n), of('run', peer, 'process_rate', n))} "
                f"| {ratio(of('run', 'jobs-v0', 'process_rate', n), of('run', peer, 'process_rate', n))} "
                f"| {ratio(of('run', 'jobs-info', 'enqueue_rate', n), of('run', peer, 'enqueue_rate', n))} "
                f"| {ratio(of('bulk', 'jobs-info', 'bulk_rate', n), of('bulk', peer, 'bulk_rate', n))} "
                f"| {ratio(of('run', 'jobs-info', 'lat_p50_ms', n), of('run', peer, 'lat_p50_ms', n))} "
                f"| {ratio(of('run', 'jobs-info', 'lat_p99_ms', n), of('run', peer, 'lat_p99_ms', n))} |"
            )
    return "\n".join([*lines, ""])


def redis_work(res: Results) -> str:
    lines = [
        "## Redis work per job",
        "",
        "From `INFO commandstats` (every command Redis ran, including those inside Lua scripts) "
        "and `INFO stats` `total_reads_processed` (one read per request or pipeline: a round "
        "trip) during the drain, the driver's own polling taken out. *Without the body* takes "
        "out the job's own INCR (1 command, 1 round trip per job; redis-py sends it as INCRBY) "
        "and the first/last bookkeeping: what fetch, ack and stats cost. Reads are an upper "
        "bound on round trips: a client that writes one pipeline in several pieces (Sidekiq's "
        "redis-rb enqueue, about 1.9 reads for its one MULTI round trip) counts once per piece, "
        "and one large request (a bulk push) counts once per socket buffer.",
        "",
        "| system | N | enqueue cmds/job | enqueue round trips/job | bulk cmds/job "
        "| process cmds/job | without the body | process round trips/job | without the body "
        "| process commands per job (first rep) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n in res.ns:
        for key in res.systems:
            runs = res.select("run", key, n)
            if not runs:
                continue
            bulk = res.select("bulk", key, n)
            top = ", ".join(
                f"{name} {calls / n:.2f}"
                for name, calls in list(runs[0].get("process_cmds", {}).items())[:TOP_COMMANDS]
                if calls / n >= 0.01
            )
            lines.append(
                f"| {res.label(key)} | {n:,} | {cell(runs, 'enqueue_cmds_per_job', 2)} "
                f"| {cell(runs, 'enqueue_rt_per_job', 2)} "
                f"| {cell(bulk, 'bulk_cmds_per_job', 3) if bulk else 'n/a'} "
                f"| {cell(runs, 'process_cmds_per_job', 2)} | {cell(runs, 'framework_cmds_per_job', 2)} "
                f"| {cell(runs, 'process_rt_per_job', 2)} | {cell(runs, 'framework_rt_per_job', 2)} "
                f"| {top} |"
            )
    return "\n".join([*lines, ""])


def ceiling_table(res: Results) -> str:
    rows = res.select("ceiling")
    if not rows:
        return ""
    parser = rows[0].get("parser", "?")
    lines = [
        "## The ceiling, same run",
        "",
        f"redis-py {rows[0].get('redis_py', '?')} ({parser}) from one client process; "
        "redis-benchmark against the same private Redis.",
        "",
        "| figure | per second |",
        "|---|---:|",
    ]
    entries: list[tuple[str, str]] = [
        ("redis-py PING round trips, one client", "ping_rt_per_s"),
        ("redis-py LPUSH + RPOP pairs, one client, unpipelined", "lpush_rpop_pairs_per_s"),
        ("redis-py LPUSH + RPOP pairs, pipelined 100 pairs", "lpush_rpop_pairs_per_s_pipelined"),
        ("redis-benchmark LPUSH, 1 client", "lpush_c1"),
        ("redis-benchmark RPOP, 1 client", "rpop_c1"),
        ("redis-benchmark LPUSH, 50 clients", "lpush_c50"),
        ("redis-benchmark RPOP, 50 clients", "rpop_c50"),
        ("redis-benchmark LPUSH, 50 clients pipelined 16", "lpush_c50_p16"),
        ("redis-benchmark RPOP, 50 clients pipelined 16", "rpop_c50_p16"),
    ]
    for text, key in entries:
        if values(rows, key):
            lines.append(f"| {text} | {cell(rows, key)} |")
    notes = {r["note"] for r in rows if r.get("note")}
    lines += [f"\n{note}" for note in sorted(notes)]
    return "\n".join([*lines, ""])


def ours_extra(res: Results) -> str:
    rss = res.select("rss", "jobs-info")
    multi = res.select("multi")
    if not rss and not multi:
        return ""
    lines = ["## Our worker: memory and several processes", ""]
    if rss:
        lines.append(
            "Idle RSS of a fresh `runworker` (-c 10), 2 s after its first heartbeat: "
            f"**{cell(rss, 'idle_rss_kb', 1, 1 / 1024)} MB**; it answered (first heartbeat) "
            f"{cell(rss, 'ready_seconds', 2)} s after the spawn."
        )
        lines.append("")
    if multi:
        lines += [
            "| worker processes (-c 10 each) | N | total jobs/s | steady jobs/s | Redis cmds/job "
            "| Redis cmds/s during the drain | Redis-bound ceiling, jobs/s | load avg at start "
            "| others' CPU, cores |",
            "|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for n in sorted({r["n"] for r in multi}):
            group = [r for r in multi if r["n"] == n]
            bound = redis_bound(res, group)
            lines.append(
                f"| {group[0]['processes']} | {n:,} | {cell(group, 'process_rate')} "
                f"| {cell(group, 'steady_rate')} | {cell(group, 'process_cmds_per_job', 2)} "
                f"| {cell(group, 'redis_cmds_per_s')} | {number(bound, 0) if bound else '-'} "
                f"| {spread(group, 'load')} | {spread(group, 'other_cpu_drain')} |"
            )
        lines += [
            "",
            "Redis-bound ceiling = redis-benchmark LPUSH with 50 one-command clients (the "
            "server's rate when every client sends one command per round trip) ÷ Redis "
            "commands per job of this multi-process run. On 2 CPUs the workers and Redis share "
            "the cores, so the box saturates first.",
        ]
    return "\n".join([*lines, ""])


def environment(res: Results) -> str:
    found = res.meta.get("versions", {})
    lines = ["## Versions", ""]
    for group, entry in found.items():
        text = ", ".join(f"{k} {v}" for k, v in entry.items()) if isinstance(entry, dict) else entry
        lines.append(f"- {group}: {text}")
    lines += [
        "",
        "Worker commands (cwd: the repository for ours and the django.tasks rows, bench/peers "
        "or bench/sidekiq):",
        "",
    ]
    for key, info in res.systems.items():
        lines.append(f"- {res.label(key)}: `{info.get('command', '?')}`")
    return "\n".join([*lines, ""])


def problems(res: Results) -> str:
    notes: list[str] = list(res.meta.get("notes", []))
    for r in res.rows:
        what = f"{r.get('kind')} {r.get('system', '')} N={r.get('n', '')} rep {r.get('rep')}"
        if r.get("error"):
            notes.append(f"{what}: error: {r['error']}")
        elif r.get("warning"):
            notes.append(f"{what}: warning: {r['warning']}")
    if not notes:
        return ""
    return "\n".join(["## Notes, failures and warnings", "", *[f"- {n}" for n in notes], ""])
