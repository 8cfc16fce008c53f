"""The worker's job supply: how a job reaches a processor thread, and how it leaves.

A processor thread sees one call: `hand.next(finished, took)` hands in the job it
finished and returns its next one. Behind it:

1. Fetching: a job waiting in the work buffer (buffer.py) first; else a round
   trip of the thread's own (fetch.py). Found nothing: with one queue the thread
   waits in BLMOVE itself, with several it waits in the buffer for what the
   blocker threads (fetch.py) fetch, and nudges one more idle thread awake.
2. The prefetch ramp: after a short job (under SHORT_JOB) a thread whose last
   fetch came back full asks for twice as many, up to fetch.PREFETCH; after
   anything else, one. The extras wait in the buffer for the next thread to
   get free, not behind a long job.
3. Giving back: extras no thread took within STASH_MAX_WAIT go back to the head
   of their queues (`give_back_stale`, called by the watchdog); so do jobs
   fetched after `quiet()`, and every job still in the buffer at a stop.
4. Acks (where a job is acked): an ack rides the thread's next fetch, after the
   writes the job asked for (jobs.completion), if any. It
   goes to the acker (acker.py, which batches, and builds every ack command)
   instead when the thread's next job came from the buffer or its fetch failed,
   or when the job is retried or dead (an atomic move, writes in its MULTI).
5. What the process holds (`held()`: each thread's hand, the buffer, the acker),
   so the reconciler can tell our jobs from strays in our in-progress list.
6. Solo mode (solo.py): while suspects wait, the threads stop fetching, finish
   what they hold, and one of them runs the suspects one at a time, alone. The
   normal fetch reads one flag for it, nothing more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from jobs.completion import Command, Completion
from jobs.queue_order import QueueOrder
from jobs.runtime.health import Backoff, RedisHealth
from jobs.worker.acker import Acker, ack_command
from jobs.worker.buffer import WorkBuffer
from jobs.worker.fetch import PREFETCH, Fetcher
from jobs.worker.solo import SoloGate

logger = logging.getLogger("jobs.worker")

# A job that took less than this (wall seconds) is short. Only after a short job does a
# thread prefetch (the extras then wait for a thread about to get free, not behind long
# jobs while other workers idle) and stay on the process's core (affinity.py).
SHORT_JOB = 0.005
# Prefetched jobs no thread took within this many seconds go back to their queue.
STASH_MAX_WAIT = 0.25
# Seconds the runner waits for the acks to be written before it takes a suspect.
SOLO_ACK_WAIT = 5.0


def is_short(took: float) -> bool:
    """A job that took `took` seconds was short (see SHORT_JOB)."""
    return took < SHORT_JOB


class Hand:
    """One processor thread's end of the supply: its unsent acks and its prefetch ramp."""

    def __init__(self, supply: JobSupply, thread: threading.Thread) -> None:
        self._supply = supply
        self._thread = thread
        # Finished jobs to acknowledge (and their writes), sent with the next fetch.
        self.done: list[Completion] = []
        self.want = 1  # jobs to ask for in the next fetch, while jobs are short
        self.short = False  # the thread's last job took under SHORT_JOB
        # Waiting for a solo turn, holding nothing (solo.py). Cleared before the flag
        # `wanted` is read, so a turn never starts while this thread may still fetch.
        self.idle = False

    def next(self, finished: Completion | None, took: float | None = None) -> bytes | None:
        """Take `finished` (the job just run, `took` seconds) and return the next job, if any."""
        self.idle = False
        if took is not None:
            self.short = is_short(took)
        if finished is not None:
            if finished.kind == "ack":
                self.done.append(finished)
            else:
                self._supply.acker.submit(finished)
        supply = self._supply
        raw = supply._next_solo(self) if supply.solo.wanted else supply._next(self)
        # One tuple, replaced whole: the reconciler reads it from another thread.
        held = tuple(done.raw for done in self.done) if self.done else ()  # mostly sent
        supply._hands[self._thread] = (*held, raw) if raw is not None else held
        return raw

    def close(self, finished: Completion | None = None) -> None:
        """The thread exits: its unsent acks (and `finished`) go to the acker."""
        if finished is not None:
            self._supply.acker.submit(finished)
        self._supply._hand_over_acks(self)
        self._supply._hands.pop(self._thread, None)
        self._supply._hand_of.pop(self._thread, None)
        self._supply.solo.arrived()  # one thread fewer to wait for


class JobSupply:
    """Fetches jobs for the processor threads, keeps the extras, and acknowledges them."""

    def __init__(
        self,
        client: redis.Redis,
        url: str,
        identity: str,
        order: QueueOrder,
        health: RedisHealth,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.health = health
        self.buffer = WorkBuffer(now)
        self.fetcher = Fetcher(client, url, identity, order, self.buffer, health)
        self.acker = Acker(client, identity, health)
        self.inprogress = self.fetcher.inprogress
        self.solo = SoloGate(client, identity, order, now)
        self._backoff = Backoff()  # shared by the threads: one outage, one schedule
        self._closed = threading.Event()  # set by close(): cuts backoff sleeps short
        # The jobs each thread holds from their fetch until their ack is sent; written
        # only by that thread, read by the reconciler.
        self._hands: dict[threading.Thread, tuple[bytes, ...]] = {}
        self._hand_of: dict[threading.Thread, Hand] = {}  # for solo mode's look at the threads

    def start(self) -> None:
        self.acker.start()
        self.fetcher.pauses.start()  # paused queues known before the first fetch
        self.fetcher.start()

    def hand(self) -> Hand:
        """The calling processor thread's hand."""
        thread = threading.current_thread()
        hand = self._hand_of[thread] = Hand(self, thread)
        return hand

    def complete(self, completion: Completion) -> None:
        """Write a completion reported outside a hand (the watchdog's, for a stuck job)."""
        self.acker.submit(completion)
        # The thread stuck in that job runs nothing of ours any more: a solo turn must
        # not wait for it (a job stuck in C may never return).
        self.solo.abandoned(completion.raw)
        for thread, held in list(self._hands.items()):
            hand = self._hand_of.get(thread)
            if held and held[-1] == completion.raw and hand is not None:
                hand.idle = True
        self.solo.arrived()

    def held(self) -> list[bytes]:
        """Every job fetched and not yet acked: in a thread's hand, the buffer, or the acker."""
        hands = [raw for hand in list(self._hands.values()) for raw in hand]
        return hands + self.buffer.snapshot() + self.acker.held()

    def waiting(self) -> int:
        """How many fetched jobs wait in the buffer for a thread."""
        return len(self.buffer)

    @property
    def exhausted(self) -> bool:
        """Closed, and nothing left for a thread to take: the threads may exit."""
        return self.buffer.closed and not len(self.buffer)

    def give_back_stale(self) -> None:
        """Give back the extras that waited for a thread longer than STASH_MAX_WAIT."""
        stale = self.buffer.take_stale(STASH_MAX_WAIT)
        if stale:  # in a thread of its own: a Redis outage must not hold up the caller
            threading.Thread(target=self.fetcher.give_back, args=(stale,), daemon=True).start()

    def quiet(self) -> None:
        """Fetch no more (TSTP, or the first step of a stop); fetched jobs still run."""
        self.fetcher.quiet()

    def give_back_unstarted(self, timeout: float) -> None:
        """Fetched, not started: back to the head of their queues; wait for the blockers."""
        self.fetcher.give_back(self.buffer.drain())
        self.fetcher.join(timeout)

    def close(self) -> None:
        """Let the threads exit once the buffer is empty."""
        self._closed.set()
        self.buffer.close()

    def stop(self, timeout: float) -> bool:
        """Write every pending ack (up to `timeout` seconds) and stop the acker."""
        return self.acker.stop(timeout)

    def _next(self, hand: Hand) -> bytes | None:
        """The next job; sends the hand's acks with the fetch when it goes to Redis."""
        raw = self.fetcher.keep_one(self.buffer.poll())
        if raw is not None:
            # The ack goes to the acker (which batches them), not left waiting behind
            # this job: a thread holds at most one finished job unacknowledged.
            self._hand_over_acks(hand)
            return raw
        jobs = self._ack_and_fetch(hand)
        if jobs is None:
            return None
        if jobs:
            if len(jobs) > 1:
                self.buffer.stash(jobs[1:])
            return jobs[0]
        if self.fetcher.single_queue:
            return self._wait_in_redis()
        waited = self.buffer.take(timeout=1.0)
        if isinstance(waited, bytes):
            self.buffer.nudge()  # a burst may have arrived: wake one more thread
            return self.fetcher.keep_one(waited)
        return None

    def _ack_and_fetch(self, hand: Hand) -> list[bytes] | None:
        """The hand's acks and a fetch in one round trip: the jobs, or None on an error."""
        acks = [ack_command(self.inprogress, done.raw) for done in hand.done]
        writes: tuple[Command, ...] = ()
        for done in hand.done:  # the run's history (jobs.history); rarely, a job's own writes
            if done.history or done.writes:
                writes += done.history + done.writes
        try:
            jobs = self.fetcher.ack_and_fetch(acks, hand.want if hand.short else 1, writes)
        except redis.RedisError as exc:
            if writes and isinstance(exc, redis.ResponseError):
                # Redis refused a write (a bug, not an outage): the acker writes these
                # acks again with their writes in one MULTI, and acknowledges a job
                # without the writes Redis refuses, saying so. A job fetched in the same
                # round trip is a stray until the reconciler puts it back.
                logger.warning("a finished job's write failed (%s); the acker takes over", exc)
                self._hand_over_acks(hand)
                return None
            self.health.failed(exc, "fetch")
            self._hand_over_acks(hand)  # the acker retries until Redis is back
            hand.want = 1
            self._closed.wait(self._backoff.next())
            return None
        hand.done.clear()
        self.health.succeeded()
        self._backoff.reset()
        # A full fetch says the queue is deep: take more next time; anything less, one.
        hand.want = min(hand.want * 2, PREFETCH) if hand.short and len(jobs) >= hand.want else 1
        return jobs

    def _hand_over_acks(self, hand: Hand) -> None:
        for done in hand.done:
            self.acker.submit(done)
        hand.done.clear()

    def _wait_in_redis(self) -> bytes | None:
        try:
            raw = self.fetcher.wait_for_job()
        except redis.RedisError as exc:
            if self.fetcher.fetching.is_set():  # not quiet() cutting the wait short
                self.health.failed(exc, "fetch")
                self._closed.wait(self._backoff.next())
            return None
        return raw

    def _next_solo(self, hand: Hand) -> bytes | None:
        """A solo turn is wanted: run what the buffer holds, then wait for the turn, or take it."""
        raw = self.fetcher.keep_one(self.buffer.poll())
        self._hand_over_acks(hand)  # written by the acker: flushed before the turn
        if raw is not None:
            return raw
        me = hand._thread
        if self.solo.runner is not me:
            hand.idle = True
            self.solo.arrived()
        while self.fetcher.fetching.is_set() and not self._closed.is_set():
            if self.solo.turn(me, lambda: self._alone(me)):
                return self._take_suspect()
            if not self.solo.wanted:
                return None  # the turn ended, or gave up: back to the queues
        if self.solo.runner is me:
            self.solo.release(done=False)
        return None

    def _alone(self, me: threading.Thread) -> bool:
        """No thread but `me` holds a job, and none waits in the buffer."""
        others = [hand for thread, hand in list(self._hand_of.items()) if thread is not me]
        return all(hand.idle for hand in others) and not len(self.buffer)

    def _take_suspect(self) -> bytes | None:
        """The runner's next suspect (None: the turn ends); acks written first."""
        # Finished jobs acknowledged first: if the suspect kills us, they do not run again.
        if not self.acker.flush(SOLO_ACK_WAIT):
            self.solo.release(done=False)
            return None
        try:
            raw = self.solo.fetch()
        except redis.RedisError as exc:
            self.health.failed(exc, "fetch a suspect")
            self.solo.release(done=False)
            self._closed.wait(self._backoff.next())
            return None
        if raw is None:
            self.solo.release(done=True)
            logger.info("no suspect left; fetching from the queues again")
            return None
        logger.info("running a suspect alone (a worker died with it beside other jobs)")
        return raw
