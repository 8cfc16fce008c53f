"""The worker's clock: local time corrected to the Redis server's, shared by its threads."""

from __future__ import annotations

import time


class Clock:
    """`now()` is Redis-server time, kept in step by the heartbeat's TIME call."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def update(self, server_now: float, local_before: float, local_after: float) -> None:
        self.offset = server_now - (local_before + local_after) / 2
