"""A bare poller process for the poller race: `python -m tests.reliability.poll_forever`.

Runs the worker's real Poller.poll_once() in a tight loop against $REDIS_URL, so
many of them race over the same due jobs; the test SIGKILLs them at random.
"""

from __future__ import annotations

import os
import threading
import time


def main() -> None:
    import django

    django.setup()
    import redis

    from jobs.runtime.clock import Clock
    from jobs.runtime.health import RedisHealth
    from jobs.worker.poller import Poller

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    poller = Poller(client, Clock(), RedisHealth("race"), 1.0, threading.Event())
    client.sadd("race:ready", os.getpid())
    while True:
        poller.poll_once()
        time.sleep(0.001)


if __name__ == "__main__":
    main()
