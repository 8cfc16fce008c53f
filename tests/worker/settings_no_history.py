"""tests.settings with the history turned off (HISTORY_SIZE = 0)."""

from tests.settings import *  # noqa: F403
from tests.settings import JOBS

JOBS = {**JOBS, "HISTORY_SIZE": 0}
