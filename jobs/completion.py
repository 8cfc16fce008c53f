"""A finished job and where it goes now; the Redis writes that must go with its ack.

The processor makes a Completion for every job it ran (success, discard, retry,
dead, drop); the worker's job supply (jobs/worker/supply.py) writes it to Redis.

A job may ask for extra writes that belong with its outcome (a task result, a
status) by calling `write_with_ack(...)` from `perform()`. They are collected per
thread, attached to the job's Completion by the processor (`take_writes()`), and
sent in the same round trip as the job's ack or move, ahead of it (in the MULTI
of a retry or dead move): never before the outcome is decided, and never lost
once the ack is written.
"""

from __future__ import annotations

import threading
from typing import Literal, NamedTuple, cast

Kind = Literal["ack", "retry", "dead"]
Part = str | bytes | int | float
Command = tuple[Part, ...]


class Completion(NamedTuple):
    """A finished job: the bytes as fetched, where it goes now, and writes to send with it.

    A NamedTuple, not a dataclass: one is made per job, and this is twice as quick to build.
    """

    raw: bytes
    kind: Kind = "ack"
    member: str = ""  # the record for retry/dead
    score: float = 0.0  # retry: when; dead: time of death
    writes: tuple[Command, ...] = ()  # sent with the ack or move, never after it
    # The run's history (jobs.history): sent before the ack like `writes`, but needs no
    # MULTI (a refused history write is dropped; the ack goes on without it).
    history: tuple[Command, ...] = ()


class _Collector(threading.local):
    """This thread's writes; None until the running job asks for one (the common case)."""

    writes: list[Command] | None = None  # a class default: reading it raises nothing


_collected = _Collector()
_PART_TYPES = frozenset({str, bytes, int, float})


def write_with_ack(*command: Part | Command) -> None:
    """Send this Redis command with the running job's ack (same round trip, just before it).

    Call it from a job's `perform()` on a worker thread, as `write_with_ack("HSET",
    key, "status", "SUCCESSFUL")` or with the command as one tuple. Parts must be
    str, bytes, int or float; the command name a str (bytes are decoded).
    """
    parts = command[0] if len(command) == 1 and isinstance(command[0], tuple) else command
    checked = _checked(parts)
    writes = _collected.writes
    if writes is None:
        writes = _collected.writes = []
    writes.append(checked)


def write_own(*commands: Command) -> None:
    """`write_with_ack` for this package's own commands, built well-formed: no checks.

    The django.tasks outcome (two commands per task) goes this way; checking every part
    of commands we built ourselves cost a tenth of a no-op task.
    """
    writes = _collected.writes
    if writes is None:
        _collected.writes = list(commands)
    else:
        writes.extend(commands)


def take_writes() -> tuple[Command, ...]:
    """The writes this thread's job asked for, once: the collector is empty afterwards."""
    writes = _collected.writes
    if not writes:  # the common case: no list was ever made, or it is empty
        return ()
    _collected.writes = None
    return tuple(writes)


def _checked(parts: tuple[object, ...]) -> Command:
    """The command with its name as str; TypeError for anything Redis cannot be sent."""
    if not parts:
        raise TypeError("write_with_ack() needs a command: a name and its arguments")
    name = parts[0]
    if isinstance(name, bytes):
        name = name.decode()
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"write_with_ack(): the command name must be a str, not {name!r}")
    for part in parts[1:]:
        if type(part) in _PART_TYPES:  # the common case, checked without isinstance()
            continue
        if isinstance(part, bool) or not isinstance(part, str | bytes | int | float):
            raise TypeError(
                f"write_with_ack(): {part!r} is not str, bytes, int or float (in a {name} command)"
            )
    return cast(Command, (name, *parts[1:]))  # every part checked just above
