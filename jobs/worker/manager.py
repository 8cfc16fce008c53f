"""The processor threads, and the watchdog that enforces per-job timeouts.

1. N threads each fetch a job (acknowledging the ones they finished in the
   same round trip), run it, and hand failures to the acker; idle threads wait
   in the work buffer for what the blockers fetch. While the queue stays deep a
   fetch takes several jobs (fetch.PREFETCH); the extras go to the buffer, and a
   thread that finishes a job takes one there, handing its ack to the acker.
2. A job past its `timeout` gets a JobTimeout raised in its thread. Python can
   only deliver that between bytecodes, so a job blocked in C (sleep, a socket
   read) may not notice: after a short grace the watchdog records the timeout
   itself (retry, as any failure), abandons the thread (its eventual result is
   ignored) and starts a replacement, so the pool never ends a thread short.
3. The running table feeds the heartbeat's busy count and `<identity>:work`.
4. Each thread's hand (the job it fetched or runs, and those it finished and
   has not yet acknowledged) lets the reconciler tell our jobs from strays
   (reconcile.py).
5. With the process pinned to one core (affinity.py), each thread settles its
   pin after every job (pinned after a short one, loose after a long one), and
   the watchdog lets the process move to a freer core.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from dataclasses import dataclass, field

import redis

from jobs.exceptions import JobTimeout
from jobs.job import Job
from jobs.payload import Payload
from jobs.runtime.health import Backoff, RedisHealth
from jobs.worker.acker import Acker, Completion
from jobs.worker.affinity import Affinity
from jobs.worker.buffer import WorkBuffer
from jobs.worker.fetch import PREFETCH, Fetcher
from jobs.worker.processor import Processor, timeout_of

logger = logging.getLogger("jobs.worker")

# Seconds a timed-out job gets to react to JobTimeout before its thread is abandoned.
TIMEOUT_GRACE = 1.0
WATCHDOG_PERIOD = 0.1
# A job that took less than this (wall seconds) is short. Only after a short job does a
# thread prefetch (the extras then wait for a thread about to get free, not behind long
# jobs while other workers idle) and stay on the process's core (affinity.py).
SHORT_JOB = 0.005
# Prefetched jobs no thread took within this many seconds go back to their queue.
STASH_MAX_WAIT = 0.25


# One lock for every claim (a job's end, or the watchdog giving up on it): taken once
# per job, so one shared lock costs less than a new lock for each job.
_CLAIMS = threading.Lock()


@dataclass
class Running:
    """One job in one thread; `claim()` decides once who reports its end."""

    raw: bytes
    payload: Payload
    job: Job
    run_at: float
    timeout: float | None
    started: float = field(default_factory=time.monotonic)
    interrupted_at: float | None = None
    _claimed: bool = False

    def claim(self) -> bool:
        with _CLAIMS:
            if self._claimed:
                return False
            self._claimed = True
            return True


@dataclass
class _Slot:
    """One processor thread's fetch state."""

    done: list[bytes] = field(default_factory=list)  # finished, acked with the next fetch
    want: int = 1  # jobs to ask for in the next fetch, while jobs are short
    short: bool = False  # the thread's last job took under SHORT_JOB


class Manager:
    """Owns the processor threads and what each is running."""

    def __init__(
        self,
        concurrency: int,
        buffer: WorkBuffer,
        fetcher: Fetcher,
        processor: Processor,
        acker: Acker,
        health: RedisHealth,
        affinity: Affinity | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.affinity = affinity
        self.buffer = buffer
        self.fetcher = fetcher
        self.health = health
        self._backoff = Backoff()  # shared by the threads: one outage, one schedule
        self.processor = processor
        self.acker = acker
        self._lock = threading.Condition()
        self._running: dict[threading.Thread, Running] = {}
        # The jobs each thread holds from their fetch until their ack is sent; written
        # only by that thread, read by the reconciler.
        self._hands: dict[threading.Thread, tuple[bytes, ...]] = {}
        self._abandoned: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._serial = 0
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for _ in range(self.concurrency):
            self._spawn()
        threading.Thread(target=self._watchdog, name="watchdog", daemon=True).start()

    def running(self) -> list[tuple[str, Running]]:
        """(thread id, job) for every job running now."""
        with self._lock:
            return [(_tid(thread), run) for thread, run in self._running.items()]

    def held(self) -> list[bytes]:
        """Every job a processor thread holds or the buffer keeps: fetched and not yet acked."""
        hands = [raw for hand in list(self._hands.values()) for raw in hand]
        return hands + self.buffer.snapshot()

    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs and none waits in the buffer; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._running or len(self.buffer):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.1))
        return True

    def stop(self) -> None:
        """Let the threads exit once the buffer is empty."""
        self._stopping.set()
        self.buffer.close()

    def join(self, timeout: float) -> None:
        """Wait for the threads that are not stuck in a job to exit (their acks sent)."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            if thread not in self._abandoned:
                thread.join(max(deadline - time.monotonic(), 0))

    def _spawn(self) -> None:
        self._serial += 1
        thread = threading.Thread(target=self._work, name=f"processor-{self._serial}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        me = threading.current_thread()
        slot = _Slot()
        try:
            while me not in self._abandoned:
                raw = self._next(slot)
                self._hands[me] = (*slot.done, raw) if raw is not None else tuple(slot.done)
                if raw is None:
                    if self.buffer.closed and not len(self.buffer):
                        return
                    continue
                began = time.perf_counter()
                try:
                    completion = self._one(me, raw)
                    slot.short = time.perf_counter() - began < SHORT_JOB
                    if self.affinity is not None:
                        self.affinity.settle(slot.short)
                except JobTimeout:  # delivered after the job itself had returned
                    continue
                except Exception:
                    logger.exception("unexpected error around a job; it stays in progress")
                    continue
                if completion is None:
                    continue
                if completion.kind == "ack":
                    slot.done.append(completion.raw)
                else:
                    self.acker.submit(completion)
        finally:
            self._hand_over_acks(slot)
            self._hands.pop(me, None)

    def _next(self, slot: _Slot) -> bytes | None:
        """The next job to run; acknowledges the slot's finished jobs when it goes to Redis."""
        raw = self.fetcher.keep_one(self.buffer.poll())
        if raw is not None:
            # The ack goes to the acker (which batches them), not left waiting behind
            # this job: a thread holds at most one finished job unacknowledged.
            self._hand_over_acks(slot)
            return raw
        try:
            jobs = self.fetcher.ack_and_fetch(slot.done, slot.want if slot.short else 1)
        except redis.RedisError as exc:
            self.health.failed(exc, "fetch")
            self._hand_over_acks(slot)  # the acker retries until Redis is back
            slot.want = 1
            self._stopping.wait(self._backoff.next())
            return None
        slot.done.clear()
        self.health.succeeded()
        self._backoff.reset()
        # A full fetch says the queue is deep: take more next time; anything less, one.
        slot.want = min(slot.want * 2, PREFETCH) if slot.short and len(jobs) >= slot.want else 1
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

    def _hand_over_acks(self, slot: _Slot) -> None:
        for raw in slot.done:
            self.acker.submit(Completion(raw))
        slot.done.clear()

    def _wait_in_redis(self) -> bytes | None:
        try:
            raw = self.fetcher.wait_for_job()
        except redis.RedisError as exc:
            if self.fetcher.fetching.is_set():  # not quiet() cutting the wait short
                self.health.failed(exc, "fetch")
                self._stopping.wait(self._backoff.next())
            return None
        return raw

    def _one(self, me: threading.Thread, raw: bytes) -> Completion | None:
        """Run one job; its completion, or None if the watchdog already reported it."""
        decoded = self.processor.decode(raw)
        if isinstance(decoded, Completion):
            return decoded
        payload, cls = decoded
        job = self.processor.prepare(payload, cls)
        run = Running(raw, payload, job, self.processor.clock.now(), timeout_of(payload, cls))
        with self._lock:
            self._running[me] = run
        try:
            completion = self.processor.run(raw, payload, run.job)
        finally:
            with self._lock:
                self._running.pop(me, None)
                self._lock.notify_all()
        return completion if run.claim() else None

    def _watchdog(self) -> None:
        while not self._stopping.wait(WATCHDOG_PERIOD):
            if self.affinity is not None:
                self.affinity.tick()
            stale = self.buffer.take_stale(STASH_MAX_WAIT)
            if stale:  # in a thread of its own: a Redis outage must not hold up timeouts
                threading.Thread(target=self.fetcher.give_back, args=(stale,), daemon=True).start()
            now = time.monotonic()
            for thread, run in self.running_items():
                if run.timeout is None or now - run.started < run.timeout:
                    continue
                if run.interrupted_at is None:
                    run.interrupted_at = now
                    _raise_in(thread, JobTimeout)
                elif now - run.interrupted_at >= TIMEOUT_GRACE:
                    self._abandon(thread, run)

    def running_items(self) -> list[tuple[threading.Thread, Running]]:
        with self._lock:
            return list(self._running.items())

    def _abandon(self, thread: threading.Thread, run: Running) -> None:
        if not run.claim():
            return
        error = JobTimeout(
            f"ran longer than its timeout of {run.timeout:g} s and ignored the interruption"
        )
        elapsed = time.monotonic() - run.started
        self.acker.submit(self.processor.failed(run.raw, run.job, run.payload, error, elapsed))
        with self._lock:
            self._running.pop(thread, None)
            self._abandoned.add(thread)
            self._abandoned = {t for t in self._abandoned if t.is_alive()}
            stuck = len(self._abandoned)
            self._lock.notify_all()
        logger.warning(
            "thread %s is stuck in %s jid=%s past its timeout; started a replacement (%d stuck thread(s) alive)",
            thread.name,
            run.payload.get("class"),
            run.job.jid,
            stuck,
        )
        if not self._stopping.is_set():
            self._spawn()


def _tid(thread: threading.Thread) -> str:
    """Sidekiq's thread id: a short base-36 string."""
    number = thread.native_id or thread.ident or 0
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
    return text or "0"


def _raise_in(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type)
        )
