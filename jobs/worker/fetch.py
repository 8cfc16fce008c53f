"""Reliable fetch: jobs move atomically from their queue into our in-progress list.

A part of the job supply (supply.py), which decides when to fetch and how many.

1. Busy: each processor thread fetches its next job itself, in the same round
   trip that acknowledges the jobs it finished (LREM each + LMOVE, or the fetch
   script with several queues). While a queue stays deep a thread takes up to
   PREFETCH jobs in that round trip (LMOVE each); the extras wait in the work
   buffer for the next thread to finish, whose ack goes to the acker (batched):
   still 2 commands per job, but fewer round trips, syscalls and GIL hand-offs.
2. Idle: with one queue the threads wait in BLMOVE themselves; with several, one
   blocker thread per queue waits in BLMOVE on its own connection, so a job
   pushed to any queue starts at once (see buffer.py).
3. Paused queues (pauses.py) are left out of every fetch; a job of a queue paused
   meanwhile (fetched by a blocker, or waiting in the buffer) goes back, unstarted.
A job is always in a queue or in our in-progress list, never only in this
process's memory: a kill -9 at any instant loses nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from functools import partial
from typing import cast

import redis
from redis.exceptions import NoScriptError

from jobs.completion import Command
from jobs.moves import push_back
from jobs.queue_order import QueueOrder
from jobs.redis import keys
from jobs.redis.connection import make_client
from jobs.redis.lane import Lane, thread_lane
from jobs.redis.scripts import script
from jobs.runtime.health import Backoff, RedisHealth
from jobs.worker.buffer import WorkBuffer
from jobs.worker.pauses import PauseWatch

logger = logging.getLogger("jobs.worker")

# Seconds an idle blocker waits in BLMOVE before looking around again (Sidekiq: 2).
BLOCK_TIMEOUT = 2
# Most jobs one round trip fetches while the queue stays deep (the ramp in supply.py).
PREFETCH = 4


class Fetcher:
    """Fetch and acknowledge jobs for this process's in-progress list."""

    def __init__(
        self,
        client: redis.Redis,
        url: str,
        identity: str,
        order: QueueOrder,
        buffer: WorkBuffer,
        health: RedisHealth,
    ) -> None:
        self.client = client
        self.url = url
        self.inprogress = keys.inprogress(identity)
        self.order = order
        self.buffer = buffer
        self.health = health
        self.fetching = threading.Event()
        self._stopped = threading.Event()  # set by quiet(): cuts backoff sleeps short
        self.pauses = PauseWatch(client, order.names)
        self._script = script(client, "fetch")
        self._sha: str = self._script.sha
        self._single_queue = keys.queue(order.names[0]) if len(order.names) == 1 else None
        self._threads: list[threading.Thread] = []
        self._blocker_clients: list[redis.Redis] = []
        self._blocking: set[Lane] = set()  # lanes waiting in BLMOVE (single queue)
        self._blocking_lock = threading.Lock()

    @property
    def single_queue(self) -> bool:
        """One queue: idle threads wait in BLMOVE themselves, with no blocker threads."""
        return self._single_queue is not None

    def start(self) -> None:
        self.fetching.set()
        for name in self.order.names if not self.single_queue else ():
            thread = threading.Thread(
                target=partial(self._block, name), name=f"blocker-{name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def quiet(self) -> None:
        """Stop taking new jobs (TSTP, or the first step of a stop)."""
        self.fetching.clear()
        self._stopped.set()
        self.pauses.stop()
        self.buffer.close()
        # Cut idle blockers out of BLMOVE now rather than after its 2 s timeout: a stop
        # should not wait on them. A job Redis moved just before still sits in our
        # in-progress list, which the stop pushes back after join().
        for client in list(self._blocker_clients):
            client.connection_pool.disconnect()
        with self._blocking_lock:
            blocking = list(self._blocking)
        for lane in blocking:
            lane.close()

    def wait_for_job(self) -> bytes | None:
        """With one queue, wait in BLMOVE for the next job on this thread's own connection.

        Sidekiq's way: no hand-off between threads, so an idle worker starts a job one
        wake-up sooner. Raises RedisError (also when quiet() cuts the wait short).
        """
        if self._single_queue is None or not self.fetching.is_set():
            return None
        if self.pauses.paused:
            self.pauses.wait_for_change(BLOCK_TIMEOUT)
            return None
        lane = self._lane()
        with self._blocking_lock:
            self._blocking.add(lane)
        try:
            [job] = lane.call(
                [("BLMOVE", self._single_queue, self.inprogress, "RIGHT", "LEFT", BLOCK_TIMEOUT)]
            )
        finally:
            with self._blocking_lock:
                self._blocking.discard(lane)
        return self.keep_one(cast(bytes | None, job))

    def join(self, timeout: float) -> None:
        """Wait for the blockers to leave Redis, so nothing is fetched after this."""
        for thread in self._threads:
            thread.join(timeout)

    def ack_and_fetch(
        self, acks: list[Command], want: int = 1, writes: tuple[Command, ...] = ()
    ) -> list[bytes]:
        """Send `acks` (acker.ack_command) and take up to `want` jobs, in one round trip.

        `writes` (jobs.completion) go first: Redis runs a round trip's commands in
        order, and a send cut short (a kill -9) can only lose its end, so an ack never
        lands without the writes before it. Raises RedisError; then the acks may or may
        not be written (sending an LREM again is harmless) and a fetched job may sit in
        our list unseen (reconcile.py).
        """
        fetching = self._fetch_commands(want) if self.fetching.is_set() else []
        fetch = bool(fetching)  # not when quiet, nor when every queue is paused
        if writes:
            acks = [*writes, *acks]
        count = len(acks)
        commands = acks  # a list made for this call: extended in place
        commands += fetching
        if not commands:
            return []
        lane = self._lane()
        try:
            replies = lane.call(commands)
        except NoScriptError:
            # A restarted or flushed Redis forgot the script: load it and fetch again.
            # The NOSCRIPT error came back for the fetch alone: the acks and writes
            # before it ran, so only the fetch is sent again.
            self._sha = lane.load_script(str(self._script.script))
            replies = [None] * count + lane.call(self._fetch_commands(want))
        if not fetch:
            return []
        if self._single_queue is not None:
            jobs = [cast(bytes, job) for job in replies[count:] if job is not None]
        else:
            jobs = cast(list[bytes], replies[-1] or [])
        return self.keep(jobs)

    def _fetch_commands(self, want: int) -> list[Command]:
        paused = self.pauses.paused
        if self._single_queue is not None:
            if paused:
                return []
            return [("LMOVE", self._single_queue, self.inprogress, "RIGHT", "LEFT")] * want
        queue_keys = self.order.keys()
        if paused:
            queue_keys = [key for key in queue_keys if key[6:] not in paused]  # "queue:<name>"
            if not queue_keys:
                return []
        return [("EVALSHA", self._sha, 1 + len(queue_keys), self.inprogress, *queue_keys, want)]

    def _lane(self) -> Lane:
        return thread_lane(self.client)

    def keep(self, jobs: list[bytes]) -> list[bytes]:
        """`jobs` (fetched, not yet started) to run; none if we went quiet: those go back."""
        if jobs and not self.fetching.is_set():
            self.give_back(jobs)
            return []
        if jobs and self.pauses.paused:
            held = [raw for raw in jobs if self._of_paused_queue(raw)]
            if held:
                self.give_back(held[::-1])  # the last taken first: their order is kept
                return [raw for raw in jobs if raw not in held]
        return jobs

    def _of_paused_queue(self, raw: bytes) -> bool:
        """Whether `raw` (fetched, not started) belongs to a queue paused since."""
        try:
            queue = json.loads(raw).get("queue", "default")
        except (ValueError, AttributeError):
            return False  # unreadable: the executor parks it in dead, as always
        return isinstance(queue, str) and self.pauses.is_paused(queue)

    def keep_one(self, job: bytes | None) -> bytes | None:
        """The same for one job (or none)."""
        kept = self.keep([job]) if job is not None else []
        return kept[0] if kept else None

    def give_back(self, jobs: list[bytes]) -> None:
        """Jobs we fetched but will not run (quiet, or no thread free) go back to the head of their queues."""
        for raw in jobs:
            try:
                push_back(self.client, self.inprogress, raw)
            except redis.RedisError:
                # It stays in our in-progress list: put back by the reconciler, at stop,
                # or by the worker that recovers our list.
                logger.warning(
                    "could not push back a fetched job; it stays in this worker's in-progress list"
                )

    def _block(self, queue: str) -> None:
        client = make_client(self.url, socket_timeout=BLOCK_TIMEOUT + 10)
        self._blocker_clients.append(client)
        source = keys.queue(queue)
        backoff = Backoff()
        try:
            while self.fetching.is_set():
                if self.pauses.is_paused(queue):
                    self.pauses.wait_for_change(1.0)
                    continue
                if not self.buffer.wait_for_idle(1.0) or not self.fetching.is_set():
                    continue
                try:
                    job = client.blmove(source, self.inprogress, BLOCK_TIMEOUT, "RIGHT", "LEFT")
                except redis.RedisError as exc:
                    if not self.fetching.is_set():
                        break  # quiet() cut the connection on purpose
                    self.health.failed(exc, f"blocking fetch on {queue}")
                    self._stopped.wait(backoff.next())
                    continue
                backoff.reset()
                if job is None:
                    continue
                if not (self.fetching.is_set() and self.buffer.offer(cast(bytes, job))):
                    self.give_back([cast(bytes, job)])
        finally:
            client.close()
