"""Test settings with the default POLL_INTERVAL (5 s), so a job on time is the wake-up's doing."""

from tests.settings import *  # noqa: F403
from tests.settings import JOBS

JOBS = {**JOBS, "POLL_INTERVAL": 5}
