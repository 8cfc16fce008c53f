"""Acknowledgements under a trickle of jobs: a finished job leaves the in-progress list.

When jobs arrive one by one to a worker reading several queues, idle threads wait
for the blockers' hand-overs while busy threads finish jobs; both paths meet in
the work buffer. Every finished job
must be acknowledged, or it stays in its worker's in-progress list and runs again
when that worker stops (pushed back) or dies (recovered): a duplicate of a job
that had succeeded. Published figures: jobs left in progress once all ended, and
how many of them a clean stop pushes back to run a second time.
"""

from __future__ import annotations

import random
import time

import pytest
import redis

from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.reliability.conftest import Profile
from tests.reliability.fleet import stranded
from tests.reliability.ledger import Ledger
from tests.reliability.report import Reporter
from tests.testapp.jobs import LedgerJob

pytestmark = pytest.mark.slow


def test_trickled_jobs_leave_nothing_in_progress(
    redis_client: redis.Redis,
    start_worker: WorkerFactory,
    ledger: Ledger,
    profile: Profile,
    figures: Reporter,
) -> None:
    count = profile.pick(800, 5000)
    rng = random.Random()
    # Two queues: a worker reading one queue waits in BLMOVE itself, with no hand-over.
    worker = start_worker("-c", "8", "-q", "critical", "-q", "default", env=ledger.env)
    worker.wait_ready()
    jids: list[str] = []
    for _ in range(count):
        jids.append(LedgerJob.perform_async(rng.randint(1, 20)))
        time.sleep(rng.random() * 0.01)
    # Not raising: the figures below say what went wrong.
    wait_for(
        lambda: ledger.ended() >= count,
        60,
        "every job to end",
        interval=0.1,
        raise_on_timeout=False,
    )
    wait_for(
        lambda: stranded(redis_client) == 0,
        5,
        "no job in progress",
        interval=0.1,
        raise_on_timeout=False,
    )
    left = stranded(redis_client)
    exit_code = worker.stop()
    pushed_back = int(redis_client.llen("queue:default"))
    tally = ledger.tally(jids)
    figures(
        "acks under a trickle",
        jobs=count,
        lost=tally.lost,
        duplicates=tally.duplicates,
        left_in_progress=left,
        pushed_back_at_stop=pushed_back,
    )
    assert tally.lost == 0
    assert exit_code == 0
    assert left == 0, f"{left} finished job(s) never acknowledged"
    assert pushed_back == 0
