"""Test settings for restart recovery: a state directory of the test's own, a chosen TTL.

JOBS_TEST_STATE_DIR: the test's directory (tests must not share the default one);
JOBS_TEST_HEARTBEAT_TTL: 60 by default (Sidekiq's), so a recovery within seconds is
restart recovery, not a heartbeat that expired.
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import JOBS

JOBS = {
    **JOBS,
    "STATE_DIR": os.environ["JOBS_TEST_STATE_DIR"],
    "HEARTBEAT_TTL": int(os.environ.get("JOBS_TEST_HEARTBEAT_TTL", "60")),
}
