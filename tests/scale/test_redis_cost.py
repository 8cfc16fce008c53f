"""What one job costs Redis: commands per job, counted by Redis itself (INFO commandstats).

A private redis-server (nothing else talks to it), one real worker, N jobs pushed one
by one as an application does (perform_async), all run. The counts around the run,
divided by N, are the figure docs/scale.md multiplies by Redis's commands/s on a
machine (redis-benchmark) to say how many jobs/s one Redis carries. The worker's
background work (heartbeat, poller) is counted too, over the same time, and shown apart
by a second, idle measurement of the same length.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.test.utils import override_settings

from jobs.redis.connection import reset_clients
from tests.figures import Reporter
from tests.helpers import PrivateRedis, Worker, wait_for
from tests.reliability.ledger import Ledger
from tests.scale.cluster import ONE_LEG
from tests.testapp.jobs import LedgerJob

pytestmark = [pytest.mark.slow, ONE_LEG]

JOBS = 1000


def _calls(client: redis.Redis) -> dict[str, int]:
    stats: dict[str, Any] = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in stats.items()}


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    changed = {name: n - before.get(name, 0) for name, n in after.items()}
    return {name: n for name, n in changed.items() if n > 0 and name not in ("info",)}


def test_commands_per_job(
    tmp_path: Path, redis_url: str, ledger: Ledger, figures: Reporter
) -> None:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    admin = server.client()
    worker = Worker(server.url, tmp_path / "worker.log", ["-c", "10", "-q", "default"], ledger.env)
    try:
        with override_settings(JOBS={**settings.JOBS, "REDIS_URL": server.url}):
            reset_clients()
            worker.wait_ready()
            began, idle_from = time.monotonic(), _calls(admin)
            wait_for(lambda: time.monotonic() - began > 3, 5, "an idle spell")
            idle = _delta(_calls(admin), idle_from)
            idle_s = time.monotonic() - began
            before, started = _calls(admin), time.monotonic()
            for _ in range(JOBS):
                LedgerJob.perform_async(0, "cost")
            wait_for(lambda: ledger.ended("cost") >= JOBS, 120, "every job run")
            busy_s = time.monotonic() - started
            used = _delta(_calls(admin), before)
    finally:
        worker.close()
        reset_clients()
        admin.close()
        server.stop()
    total = sum(used.values())
    background = sum(idle.values()) / idle_s * busy_s
    per_job = (total - background) / JOBS
    figures(
        "redis commands per job",
        jobs=JOBS,
        commands=total,
        per_job=round(per_job, 2),
        background_per_s=round(sum(idle.values()) / idle_s, 1),
        seconds=round(busy_s, 1),
        breakdown=" ".join(f"{name}={n / JOBS:.2f}" for name, n in sorted(used.items())),
    )
    assert 2 <= per_job <= 12, used
