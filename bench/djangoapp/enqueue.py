"""Enqueue N of our jobs from this one process; print one JSON line.

usage: DJANGO_SETTINGS_MODULE=bench.settings REDIS_URL=... \
       python -m bench.djangoapp.enqueue MODE N
  single   IncrJob.perform_async(i), one call per job, timed around the loop
  bulk     one IncrJob.perform_bulk([[0], [1], ...]), timed
  latency  N LatJob.perform_async(now_us) calls, 5 ms apart
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import django


def main(mode: str, n: int) -> dict[str, Any]:
    django.setup()
    from bench.djangoapp.jobs import IncrJob, LatJob
    from bench.peers.common import now_us

    out: dict[str, Any] = {"system": "jobs", "mode": mode, "n": n}
    started = time.perf_counter()
    if mode == "single":
        for i in range(n):
            IncrJob.perform_async(i)
    elif mode == "bulk":
        IncrJob.perform_bulk([[i] for i in range(n)])
    elif mode == "latency":
        for _ in range(n):
            LatJob.perform_async(now_us())
            time.sleep(0.005)
        return out
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - started
    out.update(seconds=seconds, rate=n / seconds)
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
