"""Redis writes that leave with a job's acknowledgement (interim version).

The worker's version replaces this module: there, `write_with_ack()` queues the
command, and the worker sends it in the same round trip (and MULTI) as the
acknowledgement of the job whose `perform()` is running on this thread, or as its
move to the retry or dead set. This interim version sends the command at once on
the current thread's client, so callers can be written against the final interface.
"""

from __future__ import annotations

from jobs.redis.connection import get_redis

Command = tuple[str | bytes | int | float, ...]


def write_with_ack(*command: str | bytes | int | float) -> None:
    """Send `command` with the acknowledgement of the current job (here: at once)."""
    get_redis().execute_command(*command)  # type: ignore[no-untyped-call]
