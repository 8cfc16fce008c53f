"""Every move of a job between Sidekiq's sorted sets (schedule, retry, dead) and the queues.

1. Due jobs of `schedule`/`retry` to their queues (`move_to_queues`), by the poller
   and by the dashboard's Run now.
2. A failed job from an in-progress list to `retry` (`retry_commands`, `retry`),
   announced on `jobs:scheduled` so pollers wake for it.
3. Any job to `dead`, trimming dead by age and size in the same step (`kill_call`,
   `kill`), by failure handling, recovery, the poller and the dashboard.
4. The dead record of bytes that are no job at all (`unreadable_record`), built here
   only, so the dead set reads the same whoever found them.
5. A job from an in-progress list back to the head of its queue (`push_back`): given
   back unstarted, or recovered from a dead worker.
The worker's acknowledgement code may send the moves of 2 and 3 in its own round trips:
they are given as data (commands, a script call) as well as run here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis

from jobs.conf import get_settings
from jobs.exceptions import InvalidPayload
from jobs.payload import JobPayload, Payload, dumps, loads, salvage
from jobs.redis import keys
from jobs.redis.scripts import script

logger = logging.getLogger("jobs.moves")

Member = bytes | str
Command = tuple[Any, ...]


@dataclass(frozen=True)
class KillResult:
    """What one kill did: jobs moved to dead, and entries trimmed from it."""

    moved: int
    trimmed_by_age: int
    trimmed_by_size: int


@dataclass(frozen=True)
class ScriptCall:
    """One call of a script of jobs/redis/lua, as data: send it with `run()` or as EVALSHA."""

    name: str
    keys: list[str]
    args: list[Any]

    def run(self, client: redis.Redis) -> Any:
        return script(client, self.name)(keys=self.keys, args=self.args)


def unreadable_record(raw: Member, error: InvalidPayload, now: float) -> Payload:
    """The dead-set record of a payload that cannot run: what could be read, and why not."""
    return {**salvage(raw, error), "failed_at": now}


def due(client: redis.Redis, zset: str, now: float, limit: int) -> list[bytes]:
    """Members of `zset` whose time has come, oldest first, at most `limit`."""
    return cast(list[bytes], client.zrangebyscore(zset, "-inf", now, start=0, num=limit))


def move_to_queues(
    client: redis.Redis, zset: str, members: list[Member], now: float, *, by_hand: bool = False
) -> int:
    """Push `members` of `zset` onto their queues (enqueued_at = now); unreadable ones go to dead.

    `by_hand` (a dashboard's Retry now) gives the retry back, as Sidekiq's UI does: the
    run it asks for does not count against the job's retries.
    Returns how many were moved to queues by this call.
    """
    queue_keys: dict[str, int] = {}
    argv: list[Member | int | str] = []
    broken: list[tuple[Member, str]] = []
    for member in members:
        try:
            payload = loads(member)
        except InvalidPayload as exc:
            broken.append((member, dumps(unreadable_record(member, exc, now))))
            continue
        queue = payload.queue
        payload["enqueued_at"] = now
        count = payload.retry_count
        if by_hand and count is not None:
            payload["retry_count"] = count - 1
        index = queue_keys.setdefault(queue, len(queue_keys) + 3)
        argv += [member, dumps(payload), index, queue]
    if broken:
        kill(client, zset, "zset", broken, now)
    if not argv:
        return 0
    key_list = [zset, keys.QUEUES, *(keys.queue(q) for q in queue_keys)]
    moved: int = script(client, "move_to_queues")(keys=key_list, args=argv)
    return moved


# False when this process found PUBLISH refused (an ACL without it, jobs.worker.hints):
# retry writes and pollers then go without it, as inside the acker's MULTI a refused
# command would abort the whole move, every time.
ANNOUNCE = {"publish": True}


def retry_commands(source: str, raw: Member, record: str, at: float) -> list[Command]:
    """Move a failed job from the in-progress list `source` to `retry`, due at `at`.

    Send them as one MULTI/EXEC transaction (as `retry()` does), so the job is never
    both retried and still in progress, nor lost in between. The PUBLISH announces
    the due time to every worker's poller (jobs.worker.hints), so the retry runs on time.
    """
    commands: list[Command] = [("LREM", source, 1, raw), ("ZADD", keys.RETRY, at, record)]
    if ANNOUNCE["publish"]:
        commands.append(("PUBLISH", keys.SCHEDULED, repr(float(at))))
    return commands


def retry(client: redis.Redis, source: str, raw: Member, record: str, at: float) -> None:
    """Run `retry_commands` in one transaction."""
    pipe = client.pipeline(transaction=True)
    for command in retry_commands(source, raw, record, at):
        pipe.execute_command(*command)  # type: ignore[no-untyped-call]
    pipe.execute()


def kill_call(
    source: str,
    source_type: Literal["zset", "list"],
    pairs: Sequence[tuple[Member, str]],
    now: float,
) -> ScriptCall:
    """Move (member as stored, dead record) pairs from `source` to dead, trimming dead.

    Each member moves at most once (only if it is still in `source`); read the reply
    with `killed()`.
    """
    settings = get_settings()
    argv: list[Any] = [source_type, now, now - settings.DEAD_TIMEOUT, settings.DEAD_MAX_JOBS]
    for member, record in pairs:
        argv += [member, record]
    return ScriptCall("kill", [source, keys.DEAD], argv)


def killed(reply: Sequence[Any]) -> KillResult:
    """Read a kill script's reply, and say in the log when it trimmed the dead set."""
    moved, by_age, by_size = reply
    result = KillResult(int(moved), int(by_age), int(by_size))
    log_trim(result.trimmed_by_age, result.trimmed_by_size)
    return result


def kill(
    client: redis.Redis,
    source: str,
    source_type: Literal["zset", "list"],
    pairs: Sequence[tuple[Member, str]],
    now: float,
) -> KillResult:
    """Run `kill_call` on `client` and read its reply."""
    return killed(kill_call(source, source_type, pairs, now).run(client))


def log_trim(by_age: int, by_size: int) -> None:
    """Say in the log whenever the dead set dropped entries, so nothing vanishes unseen."""
    if by_age or by_size:
        settings = get_settings()
        logger.warning(
            "dead set trimmed: %d job(s) older than %d days, %d beyond the %d-job cap",
            by_age,
            settings.DEAD_TIMEOUT // 86400,
            by_size,
            settings.DEAD_MAX_JOBS,
        )


def push_back(
    client: redis.Redis, list_key: str, raw: bytes | str, payload: JobPayload | None = None
) -> int:
    """Move one job from an in-progress list back to the head of its queue; 1 if moved.

    `payload` is the job as changed (its recovery count); without it the bytes go
    back as they are (to `default` when unreadable: the worker that fetches them
    parks them in the dead set).
    """
    if payload is None:
        queue = queue_of(raw)
        member: bytes | str = raw
    else:
        queue, member = payload.queue, dumps(payload)
    moved: int = script(client, "requeue")(
        keys=[list_key, keys.QUEUES, keys.queue(queue)],
        args=[raw, member, queue, "head"],
    )
    return moved


def queue_of(raw: bytes | str) -> str:
    """The queue of a job (`default` when unreadable: the worker that fetches it parks it in dead)."""
    try:
        return loads(raw).queue
    except InvalidPayload:
        return "default"
