"""Find jobs in our own in-progress list that no part of this process holds, and put them back.

1. How one gets there: a fetch (LMOVE, BLMOVE or the fetch script) is sent, Redis
   stalls past the client's socket timeout, the client gives up and reconnects,
   and then Redis runs the command anyway: the job moves into our list and its
   reply goes nowhere. Nobody would run it until this worker stops or dies.
2. Every beat the reconciler reads our list (LRANGE) and takes away every job the
   process holds: in a processor thread's hand (fetched, running, or finished and
   not yet acknowledged), in the work buffer, or waiting in the acker (supply.held()).
3. A job counts as stray only when it has stayed unheld for `grace` seconds, so a
   fetch whose reply is still on its way is never mistaken for one. A stray goes
   back to the head of its queue by the guarded requeue script (nothing moves if
   it left the list meanwhile), and its recovery count goes up, as after a crash.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import cast

import redis

from jobs.redis import keys
from jobs.worker.recovery import Suspects, requeue_one

logger = logging.getLogger("jobs.worker")


class Reconciler:
    """Compares our in-progress list with what the process holds; requeues strays."""

    def __init__(
        self,
        client: redis.Redis,
        identity: str,
        held: Callable[[], Iterable[bytes]],
        suspects: Suspects[bytes],
        max_recoveries: int,
    ) -> None:
        self.client = client
        self.inprogress = keys.inprogress(identity)
        self.held = held
        self.suspects = suspects  # jobs found unheld, since the first check that found them
        self.max_recoveries = max_recoveries

    def check(self, now: float) -> int:
        """One pass; return how many strays were pushed back (or sent to dead). Raises RedisError."""
        listed = Counter(cast(list[bytes], self.client.lrange(self.inprogress, 0, -1)))
        # Read the list first: a job acked after the read is held no more, but it has also
        # left the list, and the requeue script then moves nothing.
        unheld = listed - Counter(self.held())
        self.suspects.forget([raw for raw in self.suspects.first_missed if raw not in unheld])
        strays = [raw for raw in unheld if self.suspects.confirmed(raw)]
        requeued = killed = 0
        for raw in strays:
            for _ in range(unheld[raw]):
                moved, dead = requeue_one(
                    self.client,
                    self.inprogress,
                    raw,
                    now,
                    died=True,
                    max_recoveries=self.max_recoveries,
                )
                requeued += moved
                killed += dead
        self.suspects.forget(strays)
        if requeued or killed:
            logger.warning(
                "put back %d job(s) that sat in this worker's in-progress list unheld "
                "(a fetch reply lost to a Redis stall); %d poison pill(s) moved to dead",
                requeued,
                killed,
            )
        return requeued + killed
