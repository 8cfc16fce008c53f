"""Test settings with a misspelled JOBS key and queues given as a string: runworker must refuse."""

from tests.settings import *  # noqa: F403
from tests.settings import JOBS

JOBS = {**JOBS, "CONCURENCY": 4, "QUEUES": "critical,default"}
