"""bench.settings with the history of finished jobs turned off (bench/history.py compares)."""

from bench.settings import *  # noqa: F403
from bench.settings import JOBS

JOBS = {**JOBS, "HISTORY_SIZE": 0}
