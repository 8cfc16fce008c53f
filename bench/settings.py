"""Django settings for benchmarking our worker: the demo project's, plus the bench app.

Used as DJANGO_SETTINGS_MODULE=bench.settings with REDIS_URL pointing at the run's
private Redis; the worker reads the one benchmark queue, `default` (as the peers do).
"""

from project.settings import *  # noqa: F403
from project.settings import INSTALLED_APPS, JOBS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.djangoapp"]
JOBS = {**JOBS, "QUEUES": ["default"], "SCHEDULE": {}}
# The demo's mail jobs use queues this worker does not read: true, and beside the point here.
SILENCED_SYSTEM_CHECKS = ["jobs.W010", "jobs.W020"]
# The demo's thanks page follows its deliveries through job signals; a worker that runs
# the benchmark's jobs would check them on every job: the benchmark measures ours alone.
MOOD_PROGRESS = False
