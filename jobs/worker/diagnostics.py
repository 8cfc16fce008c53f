"""What the worker tells its operator about its surroundings: Redis checks, hints, stacks."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from typing import Any, cast

import redis

logger = logging.getLogger("jobs.worker")

UNREACHABLE_HINT = (
    "no Redis answers at %s: start one (`redis-server`; Debian: apt-get install redis-server; "
    "Docker: docker run -p 6379:6379 redis:7; in the jobs repository: bin/ensure-redis) "
    "or point JOBS['REDIS_URL'] at yours. Waiting for it; Ctrl-C stops."
)


def check_redis(client: redis.Redis) -> None:
    """Fail on an unreachable or too old Redis; warn about an eviction policy that drops jobs."""
    info = cast(dict[str, Any], client.info())
    version = str(info.get("redis_version", "0"))
    major_minor = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if major_minor < (6, 2):
        logger.error("Redis %s is too old: jobs needs 6.2+ (LMOVE/BLMOVE)", version)
    policy = str(info.get("maxmemory_policy", "noeviction"))
    if policy != "noeviction":
        logger.warning(
            "Redis maxmemory-policy is %r: under memory pressure Redis may evict queued jobs; set it to noeviction",
            policy,
        )


def dump_threads() -> None:
    """Log the stack of every thread (TTIN), to see what a stuck worker is doing."""
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1)
        if frame is not None:
            logger.warning("thread %s:\n%s", thread.name, "".join(traceback.format_stack(frame)))
