"""What Redis keeps about each recurring entry, and every operation on it.

One hash per entry, `jobs:recurring:entry:<name>`:
    tick         the last claimed tick (epoch seconds): the exactly-once fence
    enabled      "1"/"0" when the dashboard overrode the settings' `enabled`
    jid          the entry's last job, with its status, status_at, enqueued_at
    manual       "1" if that job came from "enqueue now", "0" from the schedule
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import cast

import redis

from jobs.payload import Payload, dumps
from jobs.recurring.schedule import Entry
from jobs.redis import keys
from jobs.redis.scripts import script


class Claim(IntEnum):
    """What claiming a tick did."""

    TAKEN = 0  # this tick or a later one was claimed already
    PUSHED = 1
    SKIPPED = -1  # claimed while disabled: nothing pushed


@dataclass(frozen=True)
class EntryState:
    """An entry's state in Redis; None where nothing is known yet."""

    tick: int | None = None
    enabled: bool | None = None  # None: as the settings say
    jid: str | None = None
    status: str | None = None
    status_at: float | None = None
    enqueued_at: float | None = None
    manual: bool = False


def state_key(name: str) -> str:
    """The hash holding entry `name`'s state."""
    return keys.recurring("entry:" + name)


def claim(client: redis.Redis, entry: Entry, tick: int, payload: Payload, now: float) -> Claim:
    """Claim `tick` of `entry` and push `payload` if it is enabled, atomically."""
    queue = payload["queue"]
    result = script(client, "recurring_claim")(
        keys=[state_key(entry.name), keys.QUEUES, keys.queue(queue)],
        args=[tick, "1" if entry.enabled else "0", dumps(payload), queue, payload["jid"], now],
    )
    return Claim(int(cast(int, result)))


def push(client: redis.Redis, name: str, payload: Payload, now: float) -> None:
    """Push `payload` now as entry `name`'s last job, claiming no tick."""
    queue = payload["queue"]
    script(client, "recurring_push")(
        keys=[state_key(name), keys.QUEUES, keys.queue(queue)],
        args=[dumps(payload), queue, payload["jid"], now],
    )


def record_status(client: redis.Redis, name: str, jid: str, status: str, now: float) -> bool:
    """Set the status of entry `name`'s last job, if `jid` still is that job."""
    result = script(client, "recurring_status")(keys=[state_key(name)], args=[jid, status, now])
    return bool(result)


def set_enabled(client: redis.Redis, name: str, enabled: bool) -> None:
    """Enable or disable entry `name` for every worker, until changed again."""
    client.hset(state_key(name), "enabled", "1" if enabled else "0")


def last_ticks(client: redis.Redis, names: list[str]) -> dict[str, int | None]:
    """The last claimed tick of each entry, in one round trip."""
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hget(state_key(name), "tick")
    values = pipe.execute()
    return {name: _int(value) for name, value in zip(names, values, strict=True)}


def read_states(client: redis.Redis, names: list[str]) -> dict[str, EntryState]:
    """Each entry's state, in one round trip."""
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(state_key(name))
    states: dict[str, EntryState] = {}
    for name, raw in zip(names, pipe.execute(), strict=True):
        fields = {_text(k): _text(v) for k, v in cast(dict[bytes, bytes], raw).items()}
        enabled = fields.get("enabled")
        states[name] = EntryState(
            tick=_int(fields.get("tick")),
            enabled=None if enabled is None else enabled == "1",
            jid=fields.get("jid"),
            status=fields.get("status"),
            status_at=_float(fields.get("status_at")),
            enqueued_at=_float(fields.get("enqueued_at")),
            manual=fields.get("manual") == "1",
        )
    return states


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _float(value: bytes | str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def _int(value: bytes | str | None) -> int | None:
    number = _float(value)
    return None if number is None else int(number)
