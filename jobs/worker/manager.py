"""The processor threads, the watchdog that enforces per-job timeouts, and the running table.

1. N threads each run a loop: `hand.next(finished)` from the job supply
   (supply.py: fetching, prefetch, giving back, acks) returns the next job,
   the thread runs it and hands its completion in with the next call.
2. A job past its `timeout` gets a JobTimeout raised in its thread. Python can
   only deliver that between bytecodes, so a job blocked in C (sleep, a socket
   read) may not notice: after a short grace the watchdog records the timeout
   itself (retry, as any failure), abandons the thread (its eventual result is
   ignored) and starts a replacement, so the pool never ends a thread short.
   Each period the watchdog also lets the supply give back stale extras.
3. The running table feeds the heartbeat's busy count and `<identity>:work`.
4. With the process pinned to one core (affinity.py), each thread settles its
   pin after every job (pinned after a short one, loose after a long one), and
   the watchdog lets the process move to a freer core.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from jobs.completion import Completion
from jobs.exceptions import JobTimeout
from jobs.job import Job
from jobs.payload import Payload
from jobs.worker.affinity import Affinity
from jobs.worker.executor import Executor, timeout_of
from jobs.worker.supply import JobSupply, is_short

logger = logging.getLogger("jobs.worker")

# Seconds a timed-out job gets to react to JobTimeout before its thread is abandoned.
TIMEOUT_GRACE = 1.0
WATCHDOG_PERIOD = 0.1


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
    started: float
    interrupted_at: float | None = None
    _claimed: bool = False

    def claim(self) -> bool:
        with _CLAIMS:
            if self._claimed:
                return False
            self._claimed = True
            return True


class Manager:
    """Owns the processor threads and what each is running."""

    def __init__(
        self,
        concurrency: int,
        supply: JobSupply,
        executor: Executor,
        affinity: Affinity | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.concurrency = concurrency
        self._now = now  # monotonic seconds, for timeouts
        self.affinity = affinity
        self.supply = supply
        self.executor = executor
        self._lock = threading.Condition()
        self._running: dict[threading.Thread, Running] = {}
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

    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs and none waits in the buffer; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._running or self.supply.waiting():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.1))
        return True

    def stop(self) -> None:
        """Let the threads exit once the supply's buffer is empty."""
        self._stopping.set()
        self.supply.close()

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
        hand = self.supply.hand()
        finished: Completion | None = None
        took: float | None = None
        try:
            while me not in self._abandoned:
                raw = hand.next(finished, took)
                finished = took = None
                if raw is None:
                    if self.supply.exhausted:
                        return
                    continue
                began = time.perf_counter()
                try:
                    finished = self._one(me, raw)
                    took = time.perf_counter() - began
                    if self.affinity is not None:
                        self.affinity.settle(is_short(took))
                except JobTimeout:  # delivered after the job itself had returned
                    continue
                except Exception:
                    logger.exception("unexpected error around a job; it stays in progress")
                    continue
        finally:
            hand.close(finished)

    def _one(self, me: threading.Thread, raw: bytes) -> Completion | None:
        """Run one job; its completion, or None if the watchdog already reported it."""
        decoded = self.executor.decode(raw)
        if isinstance(decoded, Completion):
            return decoded
        payload, cls = decoded
        job = self.executor.prepare(payload, cls)
        limit = timeout_of(payload, cls)
        run = Running(raw, payload, job, self.executor.clock.now(), limit, self._now())
        with self._lock:
            self._running[me] = run
        try:
            completion = self.executor.run(raw, payload, run.job)
        finally:
            with self._lock:
                self._running.pop(me, None)
                self._lock.notify_all()
        return completion if run.claim() else None

    def _watchdog(self) -> None:
        while not self._stopping.wait(WATCHDOG_PERIOD):
            if self.affinity is not None:
                self.affinity.tick()
            self.supply.give_back_stale()  # never waits on Redis: timeouts come first
            now = self._now()
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
        elapsed = self._now() - run.started
        self.supply.complete(self.executor.abandoned(run.raw, run.job, run.payload, elapsed))
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
