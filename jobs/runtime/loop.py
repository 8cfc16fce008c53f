"""The loop every background thread of a worker runs, written once: outages pass, bugs show.

1. Until `stopping` is set: wait, then run one step. The step says how long to
   wait before the next one, or None when its work is done (start-up steps).
2. On a Redis error: tell RedisHealth (one log line per outage for the whole
   process, however many threads see it), wait the next delay of the Backoff
   and try again. Redis coming back is the only way out of an outage, so no
   Redis error ever ends the loop.
3. On success: reset the Backoff and tell RedisHealth, which logs the end of
   an outage once.
4. Any other exception is a bug: it ends the loop (and the thread) unless the
   caller passed `on_bug`, which logs it; the loop then backs off and carries
   on, so one bad entry or beat does not silence the thread for good.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import redis

from jobs.runtime.health import Backoff, RedisHealth

Step = Callable[[], float | None]


class Stopping(Protocol):
    """What the loop waits on: a `threading.Event` (tests pass one that keeps its own time)."""

    def wait(self, timeout: float | None = None) -> bool: ...


def redis_loop(
    step: Step,
    *,
    where: str,
    health: RedisHealth,
    stopping: Stopping,
    first_wait: float = 0.0,
    backoff: Backoff | None = None,
    on_bug: Callable[[Exception], None] | None = None,
) -> bool:
    """Run `step` until stopped or done; return True when the step finished its work.

    `where` names the thread in the outage log line; `backoff` may be shared by
    threads that fail together (the processor threads), so one outage has one schedule.
    """
    backoff = backoff or Backoff()
    wait = first_wait
    while not stopping.wait(wait):  # wait(0) only reads the flag
        try:
            after = step()
        except redis.RedisError as exc:
            health.failed(exc, where)
            wait = backoff.next()
            continue
        except Exception as exc:
            if on_bug is None:
                raise
            on_bug(exc)
            wait = backoff.next()
            continue
        backoff.reset()
        health.succeeded()
        if after is None:
            return True
        wait = after
    return False
