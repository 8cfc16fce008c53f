"""Who is to blame when a worker dies: the job it was running alone, and no other.

1. A worker that died holding several jobs says nothing about which one killed
   it. Each job of its in-progress list goes, unblamed, to the suspects list of
   its queue (`jobs:suspects:<queue>`), marked: `suspected` counts the deaths it
   was beside.
2. A suspect runs only alone (jobs/worker/solo.py): the worker that runs it names
   it in its solo marker (`jobs:solo:<identity>`) in the step that fetches it.
   If that worker dies, the named job alone is blamed: its `recoveries` count goes
   up and it goes back to the suspects, or to the dead set at MAX_RECOVERIES.
   So a poison pill is in dead after at most MAX_RECOVERIES + 1 crashes that
   involve it (one beside other jobs, then each alone), and a job that ran beside
   it is never blamed for it.
3. The marker and the list are read in one MULTI, and every move is one guarded
   script (suspect.lua, kill.lua: nothing moves once the job has left the list),
   so two workers recovering the same dead worker make the same decisions and
   never move a job twice. A job is always in a Redis list, never only in memory.
"""

from __future__ import annotations

import logging
from typing import cast

import redis

from jobs.exceptions import InvalidPayload
from jobs.moves import kill, unreadable_record
from jobs.payload import JobPayload, Payload, dumps, loads, whole
from jobs.redis import keys
from jobs.redis.scripts import script

logger = logging.getLogger("jobs.worker")

RECOVERIES = "recoveries"  # payload field: times a worker died while this job ran (alone)
SUSPECTED = "suspected"  # payload field: times a worker died with this job beside others


def read_dead(client: redis.Redis, identity: str) -> tuple[bytes | None, list[bytes]]:
    """The job `identity` was running alone (if any) and its in-progress list, read at once."""
    pipe = client.pipeline(transaction=True)
    pipe.lindex(keys.solo(identity), 0)
    pipe.lrange(keys.inprogress(identity), 0, -1)
    alone, listed = pipe.execute()
    return cast(bytes | None, alone), cast(list[bytes], listed)


def recover_dead(
    client: redis.Redis, identity: str, now: float, max_recoveries: int
) -> tuple[int, int]:
    """Recover the jobs of dead process `identity`; return (moved to suspects, sent to dead)."""
    alone, listed = read_dead(client, identity)
    list_key = keys.inprogress(identity)
    moved = killed = 0
    for raw in listed:
        if raw == alone:
            alone = None  # one job ran alone: a byte-identical twin did not
            suspects, dead = blame(client, list_key, raw, now, max_recoveries)
        else:
            suspects, dead = suspect(client, list_key, raw, now)
        moved += suspects
        killed += dead
    client.delete(keys.solo(identity))
    return moved, killed


def suspect(client: redis.Redis, list_key: str, raw: bytes, now: float) -> tuple[int, int]:
    """A job its worker died beside: to the suspects, unblamed; (moved, sent to dead)."""
    try:
        payload = loads(raw)
    except InvalidPayload as exc:
        return 0, _kill_unreadable(client, list_key, raw, exc, now)
    payload[SUSPECTED] = (whole(payload.get(SUSPECTED)) or 0) + 1
    return to_suspects(client, list_key, raw, dumps(payload), payload.queue), 0


def blame(
    client: redis.Redis, list_key: str, raw: bytes, now: float, max_recoveries: int
) -> tuple[int, int]:
    """A job its worker died running alone: counted, then suspects or dead; (moved, dead)."""
    try:
        payload = loads(raw)
    except InvalidPayload as exc:
        return 0, _kill_unreadable(client, list_key, raw, exc, now)
    count = (whole(payload.get(RECOVERIES)) or 0) + 1
    if count >= max_recoveries:
        message = f"killed its worker {count} times while running alone"
        return 0, quarantine(client, list_key, raw, payload, count, message, now)
    payload[RECOVERIES] = count
    logger.warning(
        "%s jid=%s was running alone when its worker died (%d of %d); it runs alone again",
        payload.klass,
        payload.jid,
        count,
        max_recoveries,
    )
    return to_suspects(client, list_key, raw, dumps(payload), payload.queue), 0


def to_suspects(
    client: redis.Redis, list_key: str, raw: bytes | str, member: bytes | str, queue: str
) -> int:
    """Move `raw` from `list_key` to the end of its queue's suspects list as `member`; 1 if moved."""
    moved: int = script(client, "suspect")(
        keys=[list_key, keys.suspects(queue)], args=[raw, member]
    )
    return moved


def quarantine(
    client: redis.Redis,
    list_key: str,
    raw: bytes | str,
    payload: JobPayload,
    count: int,
    message: str,
    now: float,
) -> int:
    """Send a poison pill from `list_key` to the dead set, saying why; 1 if moved."""
    record: Payload = dict(payload)
    record.update(
        {RECOVERIES: count, "error_class": "WorkerDied", "error_message": message, "failed_at": now}
    )
    record.setdefault("retry_count", 0)
    logger.warning("poison pill: %s jid=%s %s; moved to dead", payload.klass, payload.jid, message)
    return kill(client, list_key, "list", [(raw, dumps(record))], now).moved


def _kill_unreadable(
    client: redis.Redis, list_key: str, raw: bytes, exc: InvalidPayload, now: float
) -> int:
    record = dumps(unreadable_record(raw, exc, now))
    return kill(client, list_key, "list", [(raw, record)], now).moved
