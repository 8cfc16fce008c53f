"""The opt-in durable push (JOBS["DURABLE_PUSH"]): WAIT for replicas in the push's round trip.

Redis replicates asynchronously: the primary acknowledges a push before any replica
has it, so a failover right then (the primary dies, a replica is promoted) loses a
job the client was told was enqueued. With DURABLE_PUSH = {"replicas": n,
"timeout_ms": t} every push ends with `WAIT n t` in the same round trip, and a push
that fewer than n replicas confirmed within t ms raises EnqueueError. The job is on
the primary then, and most likely runs: a caller that pushes again may run it twice
(at least once, never silently lost). docs/scale.md has the cost.
"""

from __future__ import annotations

from typing import Any

from jobs.conf import get_settings
from jobs.exceptions import EnqueueError


def wait_command() -> tuple[Any, ...] | None:
    """The WAIT to append to a push, or None when the durable push is off."""
    spec = get_settings().DURABLE_PUSH
    if not spec:
        return None
    return ("WAIT", spec["replicas"], spec["timeout_ms"])


def confirm(wait: tuple[Any, ...], reply: object, what: str) -> None:
    """Raise EnqueueError unless WAIT's `reply` counts at least the replicas asked for."""
    wanted, timeout_ms = int(wait[1]), int(wait[2])
    confirmed = reply if isinstance(reply, int) else 0
    if confirmed < wanted:
        raise EnqueueError(
            f"{what} reached the Redis primary, but {confirmed} of {wanted} replica(s) "
            f"confirmed it within {timeout_ms} ms (JOBS['DURABLE_PUSH']): it will most "
            "likely run, but a failover now could lose it; pushing again may run it twice"
        )
