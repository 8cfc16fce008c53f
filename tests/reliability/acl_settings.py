"""Settings of the least-privilege run: the test settings plus a recurring entry every second."""

from tests.settings import *  # noqa: F403
from tests.settings import JOBS

JOBS = {
    **JOBS,
    "SCHEDULE": {
        "acl-tick": {
            "every": "1s",
            "class": "tests.testapp.jobs.LedgerJob",
            "args": [0, "tick"],
            "queue": "critical",
        },
    },
}
