"""RESULTS.md's django.tasks section: our backend beside the peer backends and our Job API.

Issue 15's goals, side by side and as ratios of medians: processing at least 3x the best
peer backend, and no more than 15% slower than our own Job API (ours ÷ Job >= 0.85).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.report import cell, ratio

if TYPE_CHECKING:
    from bench.report import Results

OURS, JOB = "tasks-jobs", "jobs-info"
PEER_GOAL, JOB_GOAL = 3.0, 0.85


def render(res: Results) -> str:
    keys = [k for k, info in res.systems.items() if info.get("group") == "tasks"]
    if not keys:
        return ""
    lines = [
        "## django.tasks: our backend, the peer backends, our Job API",
        "",
        "The same two `@task` functions (bench/djangoapp/tasks.py; body `INCR bench:done`, as "
        "every Job row's) through each backend, each with its own worker; one at a time "
        "`enqueue()`; no bulk call in django.tasks. Medians over reps; ratios: ours ÷ that.",
        "",
        "| system | N | enqueue/s | process tasks/s | steady/s | latency p50 ms | p99 ms "
        "| Redis cmds/task | ours ÷ this, process | ours ÷ this, enqueue |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in res.ns:
        ours_rate = res.value("run", OURS, "process_rate", n)
        ours_enqueue = res.value("run", OURS, "enqueue_rate", n)
        for key in [*keys, JOB]:
            runs = res.select("run", key, n)
            if not runs:
                continue
            lines.append(
                f"| {res.label(key)} | {n:,} | {cell(runs, 'enqueue_rate')} "
                f"| {cell(runs, 'process_rate')} | {cell(runs, 'steady_rate')} "
                f"| {cell(runs, 'lat_p50_ms', 2)} | {cell(runs, 'lat_p99_ms', 2)} "
                f"| {cell(runs, 'process_cmds_per_job', 2)} "
                f"| {ratio(ours_rate, res.value('run', key, 'process_rate', n))} "
                f"| {ratio(ours_enqueue, res.value('run', key, 'enqueue_rate', n))} |"
            )
    return "\n".join([*lines, "", *goals(res, keys), ""])


def goals(res: Results, keys: list[str]) -> list[str]:
    """Issue 15's two goals at each N where our row ran."""
    lines = ["| goal | N | ours | compared with | ratio | met |", "|---|---:|---:|---|---:|---|"]
    for n in res.ns:
        ours = res.value("run", OURS, "process_rate", n)
        if ours is None:
            continue
        peers = {k: res.value("run", k, "process_rate", n) for k in keys if k != OURS}
        found = {k: v for k, v in peers.items() if v}
        if found:
            best = max(found, key=lambda k: found[k])
            value = ours / found[best]
            lines.append(
                f"| process >= {PEER_GOAL:.0f}x the best peer backend | {n:,} "
                f"| {ours:,.0f} | {res.label(best)}: {found[best]:,.0f} | {value:.2f}x "
                f"| {'yes' if value >= PEER_GOAL else '**no**'} |"
            )
        job = res.value("run", JOB, "process_rate", n)
        if job:
            value = ours / job
            lines.append(
                f"| process no more than 15% slower than Job | {n:,} | {ours:,.0f} "
                f"| {res.label(JOB)}: {job:,.0f} | {value:.2f}x "
                f"| {'yes' if value >= JOB_GOAL else '**no**'} |"
            )
    return lines if len(lines) > 2 else []
