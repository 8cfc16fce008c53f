"""Read and act on recurring entries: the dashboard's Recurring page, scripts, the shell.

Usable from a shell or a script too:

    from jobs.recurring import control
    for entry in control.entries():
        print(entry.name, entry.schedule_words, entry.next_run, entry.last_status)
    control.enqueue_now("hourly-cleanup")  # returns the jid
    control.set_enabled("heartbeat", False)  # every worker, until enabled again
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import redis
from django.conf import settings

from jobs.conf import get_settings
from jobs.recurring import store
from jobs.recurring.schedule import Entry, EntryError, label, load_schedule
from jobs.redis.connection import get_redis

# What `last_status` may say about an entry's last job.
STATUSES = ("enqueued", "running", "succeeded", "failed", "retrying", "dead", "discarded")


class UnknownEntry(LookupError):
    """No entry of JOBS["SCHEDULE"] has that name."""


@dataclass(frozen=True)
class RecurringEntry:
    """One entry of JOBS["SCHEDULE"] with its state in Redis. Times are aware, in its zone."""

    name: str
    schedule: str  # as configured: "cron 0 * * * *", "every 30s"
    schedule_words: str  # "at minute 0 of every hour", "every 30 seconds"
    job_class: str
    queue: str
    args: list[Any]
    description: str
    time_zone: str
    enabled: bool  # what the workers do: the dashboard's choice, else the settings'
    enabled_in_settings: bool
    catch_up: bool
    next_run: datetime | None  # the next tick (a disabled entry skips it); None if invalid
    last_run: datetime | None  # when its last job was enqueued, by a tick or "enqueue now"
    last_jid: str | None
    last_status: str | None  # one of STATUSES, None if unknown
    last_status_at: datetime | None
    last_manual: bool  # the last job came from "enqueue now"
    last_tick: datetime | None  # the last tick claimed, enqueued or skipped while disabled
    error: str | None = None  # why an invalid entry never runs

    @property
    def valid(self) -> bool:
        return self.error is None


def entries(
    client: redis.Redis | None = None, now: float | None = None, *, with_state: bool = True
) -> list[RecurringEntry]:
    """Every entry in settings order, invalid ones included (with `error` set).

    `with_state=False` reads nothing from Redis (enabled as configured, no last run).
    """
    valid, errors = load_schedule()
    by_name: dict[str, Entry | EntryError] = {entry.name: entry for entry in valid}
    by_name.update({error.name: error for error in errors})
    raw = get_settings().SCHEDULE
    names = [label(name) for name in raw] if isinstance(raw, dict) else list(by_name)
    states: dict[str, store.EntryState] = {}
    if with_state:
        states = store.read_states(client or get_redis(), names)
    moment = time.time() if now is None else now
    return [_describe(by_name[name], states.get(name), moment) for name in names]


def get_entry(
    name: str, client: redis.Redis | None = None, now: float | None = None
) -> RecurringEntry:
    """The entry called `name`; raises UnknownEntry."""
    for entry in entries(client, now):
        if entry.name == name:
            return entry
    raise UnknownEntry(f"no recurring entry is called {name!r}")


def enqueue_now(name: str, client: redis.Redis | None = None) -> str:
    """Push entry `name`'s job now, outside its schedule (even if disabled); return the jid.

    Raises UnknownEntry, or EntryError (a ValueError) if the entry is invalid.
    """
    entry = _valid_entry(name)
    client = client or get_redis()
    now = time.time()
    payload = entry.payload(now, None)
    store.push(client, entry.name, payload, now)
    return str(payload["jid"])


def set_enabled(name: str, enabled: bool, client: redis.Redis | None = None) -> None:
    """Enable or disable entry `name` in Redis: every worker follows, across restarts."""
    raw = get_settings().SCHEDULE
    if not isinstance(raw, dict) or name not in raw:
        raise UnknownEntry(f"no recurring entry is called {name!r}")
    store.set_enabled(client or get_redis(), name, enabled)


def upcoming(name: str, count: int = 5, now: float | None = None) -> list[datetime]:
    """The next `count` ticks of entry `name`, in its zone."""
    entry = _valid_entry(name)
    moment = time.time() if now is None else now
    ticks: list[datetime] = []
    for _ in range(max(count, 0)):
        moment = entry.next_after(moment)
        ticks.append(datetime.fromtimestamp(moment, entry.tz))
    return ticks


def _valid_entry(name: str) -> Entry:
    valid, errors = load_schedule()
    for entry in valid:
        if entry.name == name:
            return entry
    for error in errors:
        if error.name == name:
            raise error
    raise UnknownEntry(f"no recurring entry is called {name!r}")


def _describe(
    item: Entry | EntryError, state: store.EntryState | None, now: float
) -> RecurringEntry:
    if isinstance(item, EntryError):
        return _describe_invalid(item, state)
    state = state or store.EntryState()
    tz = item.tz
    return RecurringEntry(
        name=item.name,
        schedule=item.schedule,
        schedule_words=item.words(),
        job_class=item.job_name,
        queue=item.queue_name,
        args=list(item.args),
        description=item.description,
        time_zone=tz.key,
        enabled=item.enabled if state.enabled is None else state.enabled,
        enabled_in_settings=item.enabled,
        catch_up=item.catch_up,
        next_run=datetime.fromtimestamp(item.next_after(now), tz),
        **_last(state, tz),
    )


def _last(state: store.EntryState, tz: ZoneInfo) -> dict[str, Any]:
    """The entry's last run and last job, as RecurringEntry fields."""
    return {
        "last_run": _at(state.enqueued_at, tz),
        "last_jid": state.jid,
        "last_status": state.status,
        "last_status_at": _at(state.status_at, tz),
        "last_manual": state.manual,
        "last_tick": _at(state.tick, tz),
    }


def _describe_invalid(error: EntryError, state: store.EntryState | None) -> RecurringEntry:
    raw = get_settings().SCHEDULE
    item = raw.get(error.name) if isinstance(raw, dict) else None
    item = item if isinstance(item, dict) else {}
    kind = "cron" if "cron" in item else "every"
    state = state or store.EntryState()
    tz = _zone(settings.TIME_ZONE or "UTC")
    return RecurringEntry(
        name=error.name,
        schedule=f"{kind} {item.get(kind, '?')}",
        schedule_words=f"{kind} {item.get(kind, '?')}",
        job_class=str(item.get("class", "?")),
        queue=str(item.get("queue", "?")),
        args=list(item.get("args", [])) if isinstance(item.get("args"), list) else [],
        description=str(item.get("description", "")),
        time_zone=str(item.get("tz", settings.TIME_ZONE)),
        enabled=False,
        enabled_in_settings=item.get("enabled", True) is True,
        catch_up=item.get("catch_up", True) is True,
        next_run=None,
        **_last(state, tz),
        error="; ".join(error.problems),
    )


def _zone(key: str) -> ZoneInfo:
    try:
        return ZoneInfo(key)
    except (LookupError, ValueError):
        return ZoneInfo("UTC")


def _at(epoch: float | None, tz: ZoneInfo) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz)
