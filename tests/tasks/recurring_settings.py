"""Worker settings for tests/tasks/test_recurring.py: one django.tasks task every second."""

from tests.settings import *  # noqa: F403
from tests.settings import JOBS

JOBS = {
    **JOBS,
    "SCHEDULE": {
        "add-every-second": {
            "every": "1s",
            "task": "tests.testapp.tasks.add",
            "args": [1, 2],
            "kwargs": {"label": "tick"},
        },
    },
}
