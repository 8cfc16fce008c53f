"""Acknowledge finished jobs: remove them from the in-progress list, in batches.

1. Success: `LREM inprogress 1 <job>`. Acks that pile up while one round trip is
   in flight go together in the next pipeline (group commit), so a busy worker
   pays a fraction of a round trip per job and an idle one acks at once.
2. Failure: the ack and the write to `retry` or `dead` happen in one atomic step,
   so a job is never both retried and still in progress, nor lost in between.
3. Redis down: nothing is dropped; the acker retries with capped backoff. A job
   whose ack is pending is still in the in-progress list, so it is safe.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

import redis

from jobs.redis import keys
from jobs.runtime.health import Backoff, RedisHealth
from jobs.sets import kill

logger = logging.getLogger("jobs.worker")

Kind = Literal["ack", "retry", "dead"]


@dataclass(frozen=True)
class Completion:
    """A finished job: the bytes as fetched, and where it goes now."""

    raw: bytes
    kind: Kind = "ack"
    member: str = ""  # the record for retry/dead
    score: float = 0.0  # retry: when; dead: time of death


class Acker:
    """One thread that writes completions to Redis in order, batching plain acks."""

    def __init__(self, client: redis.Redis, identity: str, health: RedisHealth) -> None:
        self.client = client
        self.inprogress = keys.inprogress(identity)
        self.health = health
        self._cond = threading.Condition()
        self._pending: deque[Completion] = deque()
        self._writing = 0
        self._batch: list[Completion] = []  # being written now
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="acker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, completion: Completion) -> None:
        with self._cond:
            self._pending.append(completion)
            self._cond.notify()

    def held(self) -> list[bytes]:
        """The jobs whose completion is waiting or being written (still in progress in Redis)."""
        with self._cond:
            return [c.raw for c in self._pending] + [c.raw for c in self._batch]

    def flush(self, timeout: float) -> bool:
        """Wait until every submitted completion is written; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._writing, timeout)

    def stop(self, timeout: float) -> bool:
        flushed = self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        return flushed

    def _run(self) -> None:
        backoff = Backoff()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stopping)
                if not self._pending:
                    return
                batch = self._batch = list(self._pending)
                self._pending.clear()
                self._writing = len(batch)
            written = self._write_all(batch, backoff)
            with self._cond:
                self._pending.extendleft(reversed(batch[written:]))
                self._batch = []
                self._writing = 0
                self._cond.notify_all()

    def _write_all(self, batch: list[Completion], backoff: Backoff) -> int:
        """Write `batch` in order; return how many were written before a Redis error."""
        done = 0
        try:
            while done < len(batch):
                done += self._write_some(batch[done:])
        except redis.RedisError as exc:
            self.health.failed(exc, "ack")
            threading.Event().wait(backoff.next())
            return done
        except Exception:
            # Never let one bad completion kill the thread every later job needs: this
            # job stays in our in-progress list (pushed back at stop, or recovered).
            logger.exception("could not write the completion of a job; it stays in progress")
            return done + 1
        backoff.reset()
        self.health.succeeded()
        return done

    def _write_some(self, batch: list[Completion]) -> int:
        acks = 0
        while acks < len(batch) and batch[acks].kind == "ack":
            acks += 1
        if acks:
            pipe = self.client.pipeline(transaction=False)
            for completion in batch[:acks]:
                pipe.lrem(self.inprogress, 1, completion.raw)  # type: ignore[arg-type]  # bytes are fine
            pipe.execute()
            return acks
        first = batch[0]
        if first.kind == "retry":
            pipe = self.client.pipeline(transaction=True)
            pipe.lrem(self.inprogress, 1, first.raw)  # type: ignore[arg-type]
            pipe.zadd(keys.RETRY, {first.member: first.score})
            pipe.execute()
        else:
            kill(self.client, self.inprogress, "list", [(first.raw, first.member)], first.score)
        return 1
