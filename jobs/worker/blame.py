"""Who is to blame when a worker dies: the job it was running alone, and no other.

1. A worker that died holding several jobs says nothing about which one killed
   it, so none is blamed; `suspected` counts the deaths a job was beside. The
   first time, the job goes back to the head of its queue, as any recovered job
   (a deploy's kill -9 or a one-off OOM kill costs nothing more); from the second,
   it goes to the suspects list of its queue (`jobs:suspects:<queue>`).
2. A suspect runs only alone (jobs/worker/solo.py): the worker that runs it names
   it in its solo marker (`jobs:solo:<identity>`) in the step that fetches it.
   If that worker dies, the named job alone is blamed: its `recoveries` count goes
   up and it goes back to the suspects, or to the dead set once the deaths it was
   part of (beside others or alone) exceed MAX_RECOVERIES. With the default 3, a
   poison pill is in dead after at most 4 crashes that involve it (two beside
   other jobs, two alone), and a job that ran beside it is never blamed for it.
3. The marker and the list are read in one MULTI, and every move is one guarded
   script (requeue.lua, suspect.lua, kill.lua: nothing moves once the job has left
   the list), so two workers recovering the same dead worker make the same
   decisions and never move a job twice. A job is always in a Redis list.
"""

from __future__ import annotations

import logging
from typing import cast

import redis

from jobs.exceptions import InvalidPayload
from jobs.moves import kill, push_back, unreadable_record
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
    """A job its worker died beside, unblamed: to its queue the first time, then to the
    suspects; (moved, sent to dead)."""
    try:
        payload = loads(raw)
    except InvalidPayload as exc:
        return 0, kill_unreadable(client, list_key, raw, exc, now)
    suspected = payload[SUSPECTED] = (whole(payload.get(SUSPECTED)) or 0) + 1
    if suspected == 1:  # the first death beside others: back to its queue, unsuspected
        return push_back(client, list_key, raw, payload), 0
    return to_suspects(client, list_key, raw, dumps(payload), payload.queue), 0


def blame(
    client: redis.Redis, list_key: str, raw: bytes, now: float, max_recoveries: int
) -> tuple[int, int]:
    """A job its worker died running alone: counted, then suspects or dead; (moved, dead)."""
    try:
        payload = loads(raw)
    except InvalidPayload as exc:
        return 0, kill_unreadable(client, list_key, raw, exc, now)
    count = (whole(payload.get(RECOVERIES)) or 0) + 1
    if count + (whole(payload.get(SUSPECTED)) or 0) > max_recoveries:
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


def kill_unreadable(
    client: redis.Redis, list_key: str, raw: bytes, exc: InvalidPayload, now: float
) -> int:
    """Bytes that are no job at all, from `list_key` to the dead set as a readable record."""
    record = dumps(unreadable_record(raw, exc, now))
    return kill(client, list_key, "list", [(raw, record)], now).moved
