"""Redis outages: one log line when Redis goes away, one when it is back, capped backoff."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

# The worker's logger: an outage is news about the worker process, whichever thread saw it.
logger = logging.getLogger("jobs.worker")

BACKOFF_START = 0.1
BACKOFF_CAP = 5.0


class RedisHealth:
    """Shared by every worker thread, so an outage is reported once, not once per thread."""

    def __init__(self, url: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._down_since: float | None = None

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException, where: str) -> None:
        """Note a failed Redis call; log only the first of an outage."""
        with self._lock:
            if self._down_since is not None:
                return
            self._down_since = self._monotonic()
        logger.warning(
            "Redis at %s is unreachable (%s in %s: %s); retrying every %.0f s at most",
            self.url,
            type(exc).__name__,
            where,
            exc,
            BACKOFF_CAP,
        )

    def succeeded(self) -> None:
        """Note a successful Redis call; log the end of an outage once."""
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            logger.warning(
                "Redis at %s is reachable again after %.1f s", self.url, self._monotonic() - since
            )


class Backoff:
    """Delays for one thread's retries: 0.1 s doubling up to about 5 s (by default)."""

    def __init__(self, start: float = BACKOFF_START, cap: float = BACKOFF_CAP) -> None:
        self.start = start
        self.cap = cap
        self._delay = start

    def next(self) -> float:
        delay = self._delay
        self._delay = min(self._delay * 2, self.cap)
        return delay

    def reset(self) -> None:
        self._delay = self.start
