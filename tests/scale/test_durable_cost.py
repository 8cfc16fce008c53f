"""What the durable push costs: pushes/s with and without WAIT, side by side in one run.

A primary with two replicas and three sentinels of real redis-server processes; this
process pushes through `redis+sentinel://` in alternating blocks, durable push off
then on, so a busy machine weighs on both alike. Every durable push must be confirmed
(the replicas are there); the ratio is published in docs/scale.md, never asserted.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test.utils import override_settings

from jobs.redis import keys
from jobs.redis.connection import get_redis, reset_clients
from tests.figures import Reporter
from tests.scale.cluster import ONE_LEG, SentinelCluster
from tests.testapp.jobs import RecordJob

pytestmark = [
    pytest.mark.slow,
    ONE_LEG,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs Debian's redis-server"),
]

BLOCK = 200
ROUNDS = 5


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SentinelCluster]:
    # With passwords, so the URL's credentials (the servers' and the sentinels') are used.
    setup = SentinelCluster(tmp_path / "redis", password="data-pw", sentinel_password="s-pw")
    try:
        setup.start()
        yield setup
    finally:
        setup.stop()


def _block(durable: dict[str, int] | None, url: str) -> float:
    """Seconds to push BLOCK jobs one by one."""
    with override_settings(JOBS={**settings.JOBS, "REDIS_URL": url, "DURABLE_PUSH": durable}):
        started = time.perf_counter()
        for n in range(BLOCK):
            RecordJob.perform_async(n)
        return time.perf_counter() - started


def test_durable_push_cost(cluster: SentinelCluster, figures: Reporter) -> None:
    url = cluster.url(db=0)
    durable = {"replicas": 1, "timeout_ms": 1000}
    seconds: dict[bool, float] = {False: 0.0, True: 0.0}
    try:
        _block(None, url)  # warm up: connections, sentinel lookups
        for _ in range(ROUNDS):
            for on in (False, True):
                seconds[on] += _block(durable if on else None, url)
        with override_settings(JOBS={**settings.JOBS, "REDIS_URL": url}):
            queued = get_redis().llen(keys.queue("default"))
    finally:
        reset_clients()
    plain, safe = BLOCK * ROUNDS / seconds[False], BLOCK * ROUNDS / seconds[True]
    figures(
        "durable push cost",
        pushes_each=BLOCK * ROUNDS,
        plain_per_s=round(plain),
        durable_per_s=round(safe),
        durable_vs_plain=round(safe / plain, 2),
    )
    assert queued == BLOCK * (2 * ROUNDS + 1)  # every durable push was confirmed, none raised
