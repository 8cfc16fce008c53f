"""Acknowledge finished jobs: every write that takes a job out of the in-progress list.

1. A plain ack is `LREM inprogress 1 <job>` (`ack_command`). The supply
   (supply.py) sends it with the thread's next fetch when it can, else hands it
   here: acks that pile up while one round trip is in flight go together in the
   next pipeline (group commit), so a busy worker pays a fraction of a round
   trip per job and an idle one acks at once.
2. Failure: the ack and the write to `retry` or `dead` happen in one atomic step,
   so a job is never both retried and still in progress, nor lost in between.
3. A completion's `writes` (jobs.completion) go just ahead of its ack in the same
   round trip, or in the MULTI of its move. A write Redis refuses costs only itself
   (an ack) or its job's writes (a refused write aborts a MULTI: the move is made
   again without them); either way with an error logged.
4. Redis down: nothing is dropped; the acker retries with capped backoff. A job
   whose ack is pending is still in the in-progress list, so it is safe.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

import redis
from redis.client import Pipeline

from jobs.completion import Command, Completion
from jobs.moves import kill, kill_call, log_trim, retry_commands
from jobs.redis import keys
from jobs.redis.lane import thread_lane
from jobs.redis.scripts import script
from jobs.runtime.health import Backoff, RedisHealth

logger = logging.getLogger("jobs.worker")


def ack_command(inprogress: str, raw: bytes) -> Command:
    """The command that acknowledges one finished job: it leaves the in-progress list."""
    return ("LREM", inprogress, 1, raw)


def _queue(pipe: Pipeline, command: Command) -> None:
    pipe.execute_command(*command)  # type: ignore[no-untyped-call]  # untyped in redis-py


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
        """Write the first completions of `batch`; return how many."""
        acks = 0
        while acks < len(batch) and batch[acks].kind == "ack":
            acks += 1
        if acks:
            self._acks(batch[:acks])
            return acks
        first = batch[0]  # a retry or dead move: one at a time, each in its own MULTI
        if first.kind == "dead" and not first.writes and not first.history:
            kill(self.client, self.inprogress, "list", [(first.raw, first.member)], first.score)
            return 1
        try:
            self._transaction(first, extras=True)
        except redis.ResponseError:  # refused while queueing: nothing of the MULTI ran
            if not first.writes and not first.history:
                raise
            logger.error(
                "Redis refused the writes a finished job asked for or its history; moving "
                "the job without them: %r",
                first.writes,
            )
            self._transaction(first, extras=False)
        return 1

    def _acks(self, group: list[Completion]) -> None:
        """Acknowledge `group` in one round trip, each ack just after its own writes.

        As with the acks that ride a fetch (fetch.py): Redis runs a round trip's commands
        in order and a send cut short loses only its end, so an ack never lands without
        the writes before it (its run's history, then what the job asked for). A write
        Redis refuses costs only itself: the job is acknowledged without it, and the
        refusal logged.
        """
        commands: list[Command] = []
        for completion in group:
            commands += completion.history
            commands += completion.writes
            commands.append(ack_command(self.inprogress, completion.raw))
        replies = thread_lane(self.client).replies(commands)
        for command, reply in zip(commands, replies, strict=True):
            if not isinstance(reply, redis.ResponseError):
                continue
            if command[0] == "LREM":
                raise reply
            logger.error(
                "Redis refused a write that goes with a finished job (%s); "
                "acknowledging the job without it: %r",
                reply,
                command[:2],
            )

    def _transaction(self, completion: Completion, *, extras: bool) -> None:
        """The retry or dead move of `completion` in one MULTI, with its run's history and
        its writes when `extras`; raise if the move failed."""
        pipe = self.client.pipeline(transaction=True)
        for command in completion.history if extras else ():
            _queue(pipe, command)
        moves = self._queue_move(pipe, completion)
        for command in completion.writes if extras else ():
            _queue(pipe, command)
        replies: list[Any] = pipe.execute(raise_on_error=False)
        moved = set(moves)
        for index, reply in enumerate(replies):
            if isinstance(reply, Exception) and index in moved:
                raise reply
            if isinstance(reply, Exception):
                logger.error("a write a finished job asked for failed in Redis: %s", reply)
            elif index in moved and isinstance(reply, list) and len(reply) == 3:
                log_trim(int(reply[1]), int(reply[2]))  # the kill script trimmed dead

    def _queue_move(self, pipe: Pipeline, completion: Completion) -> list[int]:
        """Queue the retry or dead move of `completion` (as jobs.moves writes it); its reply indices."""
        first = len(pipe.command_stack)
        raw = completion.raw
        if completion.kind == "retry":
            for command in retry_commands(
                self.inprogress, raw, completion.member, completion.score
            ):
                _queue(pipe, command)
        else:
            # The kill script inside the MULTI, loaded first in the same transaction: a
            # restarted Redis cannot answer NOSCRIPT after the job's writes already ran.
            call = kill_call(self.inprogress, "list", [(raw, completion.member)], completion.score)
            kill_script = script(self.client, call.name)
            _queue(pipe, ("SCRIPT LOAD", str(kill_script.script)))
            _queue(pipe, ("EVALSHA", kill_script.sha, len(call.keys), *call.keys, *call.args))
        return list(range(first, len(pipe.command_stack)))
