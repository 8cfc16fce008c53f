"""Settings for the test suite: the demo project plus a test app holding test jobs."""

import os

from project.settings import *  # noqa: F403
from project.settings import INSTALLED_APPS, JOBS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]

JOBS = {
    **JOBS,
    # Fast cadence so tests see polls, beats and recoveries in seconds, not minutes.
    "POLL_INTERVAL": 0.2,
    "HEARTBEAT_INTERVAL": 0.5,
    "HEARTBEAT_TTL": 3,
    "QUEUES": ["critical", "default", "mailers", "low"],
    # tests/worker/test_affinity.py starts workers with JOBS_TEST_PIN_CPU=0, or a value
    # that is not a boolean (the worker's start-up checks must refuse it).
    "PIN_CPU": {"1": True, "0": False}.get(
        os.environ.get("JOBS_TEST_PIN_CPU", "1"), os.environ.get("JOBS_TEST_PIN_CPU")
    ),
}

# The test app has a job bound to a queue only a Ruby Sidekiq reads (tests/interop): that
# queue is absent from QUEUES on purpose.
SILENCED_SYSTEM_CHECKS = ["jobs.W010"]

# django.tasks through our backend (tests/tasks): every queue the workers read; a small
# return-value cap so the cap's test stays small.
TASKS = {
    "default": {
        "BACKEND": "jobs.tasks.JobsBackend",
        "QUEUES": ["critical", "default", "mailers", "low"],
        "OPTIONS": {"MAX_RETURN_BYTES": 10_000, "MAX_TRACEBACK_CHARS": 4_000},
    },
    # A second alias: its own options follow its tasks into the worker.
    "brief": {
        "BACKEND": "jobs.tasks.JobsBackend",
        "QUEUES": ["default"],
        "OPTIONS": {"RESULT_TTL": 120},
    },
}
