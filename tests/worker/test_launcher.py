"""The worker process as a whole (jobs/worker/launcher.py), started for real."""

from __future__ import annotations

import redis

from tests.conftest import WorkerFactory


def test_a_worker_refuses_to_start_with_an_unknown_setting(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "1", settings="tests.worker.settings_misspelled")
    assert worker.process.wait(60) != 0
    log = worker.log()
    assert "jobs.E004" in log
    assert "JOBS['CONCURENCY'] is not a setting of jobs; did you mean CONCURRENCY?" in log
    assert "JOBS['QUEUES'] must be a list of queues, not the string 'critical,default'" in log
    assert not redis_client.smembers("processes")  # it never announced itself
