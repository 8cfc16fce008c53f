"""Worker settings for the recurring-jobs tests: the test settings plus a schedule.

- "tick" enqueues TickJob every second on a queue the workers read;
- "paused" does the same on the "paused" queue, which no worker reads, so the
  tests can count exactly what was enqueued;
- "five" and "five-strict" tick every 5 s on unread queues, with and without
  catching up a tick missed while no worker ran.
"""

from tests.settings import *  # noqa: F403
from tests.settings import JOBS

JOBS = {
    **JOBS,
    "SCHEDULE": {
        "tick": {
            "every": "1s",
            "class": "tests.testapp.jobs.TickJob",
            "args": ["tick"],
            "description": "Every second, for the exactly-once test",
        },
        "paused": {
            "every": "1s",
            "class": "tests.testapp.jobs.TickJob",
            "args": ["paused"],
            "queue": "paused",
        },
        "five": {
            "every": "5s",
            "class": "tests.testapp.jobs.TickJob",
            "args": ["five"],
            "queue": "five",
        },
        "five-strict": {
            "every": "5s",
            "class": "tests.testapp.jobs.TickJob",
            "args": ["five-strict"],
            "queue": "five-strict",
            "catch_up": False,
        },
        "nightly": {
            "cron": "30 2 * * *",
            "class": "tests.testapp.jobs.TickJob",
            "args": ["nightly"],
            "tz": "Europe/Berlin",
        },
    },
}
