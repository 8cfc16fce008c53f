"""Schedule N latency jobs due 1-3 s ahead, evenly spread; print one JSON line.

usage: DJANGO_SETTINGS_MODULE=bench.settings REDIS_URL=... \
       python -m bench.djangoapp.schedule N
Each job is LatJob.perform_at(due, due_us): its body records (start - due) in bench:lat.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import django

AHEAD = 1.0  # the first job is due this many seconds after the loop starts
SPAN = 2.0  # the last one SPAN seconds after the first


def main(n: int) -> dict[str, Any]:
    django.setup()
    from bench.djangoapp.jobs import LatJob

    start = time.time()
    for i in range(n):
        due = start + AHEAD + SPAN * i / max(n - 1, 1)
        LatJob.perform_at(due, int(due * 1_000_000))
    return {"system": "jobs", "mode": "scheduled", "n": n, "seconds": time.time() - start}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
