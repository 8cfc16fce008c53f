"""Rate and concurrency limits shared by every worker: `with LIMITER.within_limit(): ...`.

    from jobs.limits import concurrent, window, bucket
    STRIPE = concurrent("stripe", 5, lock_timeout=30)   # at most 5 blocks at once
    CRM = window("crm", 100, per=60)                    # at most 100 entries in any 60 s
    MAIL = bucket("mail", 10, per=1)                    # bursts of 10, then 10 a second

The modules:
- `base.py`: the `Limiter` protocol (`within_limit()`), `OverLimit`, name checks.
- `kinds.py`: the three kinds, each one Lua script (jobs/redis/lua/limit_*.lua) that
  decides, books the use and counts the answers in one atomic step.
- `reschedule.py`: what the worker does with a job that hit a limit: back to the
  schedule set with backoff and jitter, counted neither as failed nor as a retry.
- `usage.py`: what the dashboard's Limits page reads.
"""

from __future__ import annotations

from jobs.limits.base import Limiter, OverLimit
from jobs.limits.kinds import Bucket, Concurrent, Window, bucket, concurrent, window

__all__ = [
    "Bucket",
    "Concurrent",
    "Limiter",
    "OverLimit",
    "Window",
    "bucket",
    "concurrent",
    "window",
]
