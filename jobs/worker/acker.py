"""Acknowledge finished jobs: every write that takes a job out of the in-progress list.

1. A plain ack is `LREM inprogress 1 <job>` (`ack_command`). The supply
   (supply.py) sends it with the thread's next fetch when it can, else hands it
   here: acks that pile up while one round trip is in flight go together in the
   next pipeline (group commit), so a busy worker pays a fraction of a round
   trip per job and an idle one acks at once.
2. Failure: the ack and the write to `retry` or `dead` happen in one atomic step,
   so a job is never both retried and still in progress, nor lost in between.
3. A completion's `writes` (jobs.completion) go in the same MULTI as its ack or
   move. A write Redis refuses when queued (a bad command) would abort the whole
   MULTI: the completions of that batch are then sent one at a time, and the one
   whose writes were refused is acknowledged without them, with an error logged.
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
        group = batch[: acks or 1]
        if any(completion.writes for completion in group):
            return self._with_writes(group)
        if acks:
            self._acks(group)
        elif group[0].kind == "retry" or group[0].history:  # a move, with its run's history
            self._transaction(group, writes=False)
        else:
            first = group[0]
            kill(self.client, self.inprogress, "list", [(first.raw, first.member)], first.score)
        return len(group)

    def _acks(self, group: list[Completion]) -> None:
        """Plain acks, each after its run's history, in one round trip on our own lane."""
        lane = thread_lane(self.client)
        acks = [ack_command(self.inprogress, completion.raw) for completion in group]
        history = [command for completion in group for command in completion.history]
        if not history:
            lane.call(acks)
            return
        commands: list[Command] = []
        for completion, ack in zip(group, acks, strict=True):
            commands += [*completion.history, ack]
        try:
            lane.call(commands)
        except redis.ResponseError as exc:  # refused (out of memory?): the acks still matter
            logger.warning("Redis refused a history write (%s); acknowledging without it", exc)
            lane.call(acks)

    def _with_writes(self, group: list[Completion]) -> int:
        """One MULTI for `group` and its writes; one at a time if Redis refuses a write."""
        try:
            self._transaction(group, writes=True)
            return len(group)
        except redis.ResponseError as exc:  # refused while queueing: nothing of it ran
            if len(group) == 1:
                logger.error(
                    "Redis refused the writes a finished job asked for (%s); "
                    "acknowledging the job without them: %r",
                    exc,
                    group[0].writes,
                )
                self._transaction(group, writes=False)
            else:
                for completion in group:
                    self._with_writes([completion])
            return len(group)

    def _transaction(self, group: list[Completion], *, writes: bool) -> None:
        """Each completion's ack or move (and its writes) in one MULTI; raise if a move failed."""
        pipe = self.client.pipeline(transaction=True)
        moves: list[int] = []  # reply indices of the acks and moves; the rest are writes
        for completion in group:
            for command in completion.history:
                _queue(pipe, command)
            moves += self._queue_move(pipe, completion)
            for command in completion.writes if writes else ():
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
        """Queue the ack or move of `completion` (as jobs.moves writes it); its reply indices."""
        first = len(pipe.command_stack)
        raw = completion.raw
        if completion.kind == "ack":
            _queue(pipe, ack_command(self.inprogress, raw))
        elif completion.kind == "retry":
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
