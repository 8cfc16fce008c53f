"""Run one fetched job and say where it goes: decode -> run -> completion (the Executor).

1. Untrusted bytes are decoded and checked once (jobs.payload, jobs.execution); a
   payload that cannot run (not UTF-8 JSON, missing fields, unregistered class,
   wrong arity) is parked in the dead set with a readable error, and never
   imports or runs anything.
2. The job runs with its run described on the instance (jobs.execution), and
   the worker's counters, log lines and signals record it.
3. Failures become a retry or dead record in Sidekiq's format (jobs.retry), with
   the traceback; the log gets it in full at a job's first failure, one line later.
4. Each run is recorded in the history (jobs.history): a failure by writes that
   ride the job's move, successes in batches riding every 64th ack.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import close_old_connections

from jobs import signals, tracing
from jobs.completion import Command, Completion, take_writes
from jobs.conf import JobsSettings
from jobs.exceptions import Discard, InvalidPayload, JobTimeout, Retry
from jobs.execution import perform, resolve, timeout_of
from jobs.execution import prepare as prepare_run
from jobs.history import HistoryWriter
from jobs.job import Job
from jobs.limits.base import OverLimit
from jobs.limits.reschedule import rescheduled
from jobs.moves import unreadable_record
from jobs.payload import JobPayload, Payload, display_name, dumps, loads
from jobs.redis.connection import get_redis
from jobs.retry import decide, record_failure
from jobs.runtime.clock import Clock
from jobs.unique import release_now, releases_at_start, with_release
from jobs.worker import joblog
from jobs.worker.stats import Counters

logger = logging.getLogger("jobs.worker")

__all__ = ["Executor", "timeout_of"]  # timeout_of: read here by the manager


class Executor:
    """Turns fetched bytes into a Completion; shared by every processor thread."""

    def __init__(
        self,
        settings: JobsSettings,
        counters: Counters,
        clock: Clock,
        history: HistoryWriter | None = None,
    ) -> None:
        self.settings = settings
        # None (or off): no history writes, not even the call that would build them.
        self.history = history if history is not None and history.enabled else None
        self.counters = counters
        self.clock = clock
        self._log_info = logger.isEnabledFor(logging.INFO)
        self._joblog = joblog.installed()

    def decode(self, raw: bytes) -> tuple[JobPayload, type[Job]] | Completion:
        """Return the payload and its class, or a dead Completion for a bad payload."""
        try:
            payload = loads(raw)
            return payload, resolve(payload)
        except InvalidPayload as exc:
            return self.bad_payload(raw, exc)

    def bad_payload(self, raw: bytes, error: InvalidPayload) -> Completion:
        now = self.clock.now()
        record = unreadable_record(raw, error, now)
        self.counters.add(processed=1, failed=1)
        logger.warning("dead: %s (jid=%s)", error, record["jid"])
        return Completion(raw, "dead", dumps(record), now)

    # Make the instance that describes this run (jobs.execution.prepare).
    prepare = staticmethod(prepare_run)

    def run(self, raw: bytes, payload: JobPayload, job: Job) -> Completion:
        """Run the job once; its completion, with the writes of flow control.

        Over a limit (jobs.limits): back to the schedule set, neither failed nor a
        retry. A unique job's lock (jobs.unique) is released with its ack.
        """
        unique = "unique_digest" in payload
        if unique and releases_at_start(payload):
            release_now(get_redis(), payload)
        try:
            completion = self._run(raw, payload, job)
        except OverLimit as exc:
            take_writes()  # the job did not finish: what it asked to write goes with it
            logger.info("%s jid=%s over limit: %s", payload.display_name, job.jid, exc)
            return rescheduled(raw, payload, exc, self.clock.now())
        return with_release(completion, payload) if unique else completion

    def _run(self, raw: bytes, payload: JobPayload, job: Job) -> Completion:
        cls = type(job)
        started = time.perf_counter()
        try:
            if signals.job_started.receivers:
                signals.job_started.send(sender=cls, payload=payload)
            tracing.perform(perform, job, payload)  # in a span when OpenTelemetry is there
        except Discard as exc:
            took = time.perf_counter() - started
            self.counters.add(processed=1)
            self.counters.ran(payload, took)
            logger.info("%s jid=%s discarded itself", payload.display_name, job.jid)
            if signals.job_discarded.receivers:
                signals.job_discarded.send(sender=cls, payload=payload, exception=exc)
            ran = self._ran(raw, payload, "discarded", took, str(exc))
            return Completion(raw, writes=take_writes(), history=ran)
        except OverLimit:
            raise
        except Exception as exc:
            return self.failed(raw, job, payload, exc, time.perf_counter() - started)
        finally:
            close_old_connections()
        elapsed = time.perf_counter() - started
        self.counters.add(processed=1)
        self.counters.ran(payload, elapsed)
        if self._log_info:
            if self._joblog is not None:
                self._joblog.done(payload.display_name, job.jid, elapsed * 1000)
            else:
                logger.info(
                    "%s jid=%s done: %.1f ms", payload.display_name, job.jid, elapsed * 1000
                )
        if signals.job_succeeded.receivers:
            signals.job_succeeded.send(sender=cls, payload=payload, duration=elapsed)
        if self.history is None:
            return Completion(raw, "ack", "", 0.0, take_writes())  # positional: quicker
        # Kept in memory; every 64th success carries the batch's write (jobs.history).
        ran = self.history.succeeded(raw, payload, self.clock.now() - elapsed, elapsed)
        return Completion(raw, "ack", "", 0.0, take_writes(), ran)

    def _ran(
        self,
        raw: bytes,
        payload: Payload,
        state: str,
        took: float,
        error: str = "",
        score: float | None = None,
    ) -> tuple[Command, ...]:
        """The run's history writes (jobs.history), if it is kept."""
        if self.history is None:
            return ()
        now = self.clock.now()
        return self.history.commands(raw, payload, state, now - took, took, error, score)

    def abandoned(self, raw: bytes, job: Job, payload: Payload, elapsed: float) -> Completion:
        """A job given up on past its timeout (the watchdog: its thread stays stuck).

        Failed like any JobTimeout; a unique job's lock goes with its end as in `run`.
        """
        limit = timeout_of(payload, type(job)) or 0
        error = JobTimeout(
            f"ran longer than its timeout of {limit:g} s and ignored the interruption"
        )
        return with_release(self.failed(raw, job, payload, error, elapsed), payload)

    def failed(
        self, raw: bytes, job: Job, payload: Payload, exc: BaseException, elapsed: float
    ) -> Completion:
        """Record a failure and decide between retry, dead and drop."""
        if isinstance(exc, JobTimeout) and not exc.args:
            limit = timeout_of(payload, type(job))
            exc = JobTimeout(f"ran longer than its timeout of {limit or 0:g} s")
        record: Payload = dict(payload)  # enqueued_at stays, as in Sidekiq's records
        now = self.clock.now()
        count = record_failure(
            record, exc, now, self.settings.ERROR_MESSAGE_MAX, record.get("backtrace")
        )
        hook: Any = exc.in_ if isinstance(exc, Retry) else _ask_retry_in(job, count, exc)
        decision = decide(record, count, now, self.settings.DEFAULT_RETRY, hook)
        self.counters.add(processed=1, failed=0 if isinstance(exc, Retry) else 1)
        self.counters.ran(payload, elapsed, failed=True)
        cls = type(job)
        if signals.job_failed.receivers:
            signals.job_failed.send(sender=cls, payload=record, exception=exc)
        what = f"{display_name(payload)} jid={job.jid} failed after {elapsed * 1000:.1f} ms"
        # The whole traceback at a job's first failure; one line for each later one.
        trace = exc if count == 0 else None
        error = _describe(exc)
        if decision.verdict == "retry":
            retry_queue = record.get("retry_queue")
            if isinstance(retry_queue, str) and retry_queue:
                record["queue"] = retry_queue
            logger.warning(
                "%s: %s; retry %d in %.0f s",
                what,
                error,
                count + 1,
                decision.at - now,
                exc_info=trace,
            )
            signals.job_retried.send(
                sender=cls, payload=record, exception=exc, retry_at=decision.at
            )
            ran = self._ran(raw, payload, "retry", elapsed, error, decision.at)
            return Completion(raw, "retry", dumps(record), decision.at, take_writes(), ran)
        if decision.verdict == "drop":
            logger.warning("%s: %s; dropped (retry disabled)", what, error, exc_info=trace)
            ran = self._ran(raw, payload, "discarded", elapsed, error)
            return Completion(raw, writes=take_writes(), history=ran)
        logger.warning("%s: %s; moved to the dead set", what, error, exc_info=trace)
        if decision.exhausted:
            _call_hook(job.retries_exhausted, record, exc)
        signals.job_dead.send(sender=cls, payload=record, exception=exc)
        ran = self._ran(raw, payload, "dead", elapsed, error, now)
        return Completion(raw, "dead", dumps(record), now, take_writes(), ran)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__qualname__}: {exc}"


def _ask_retry_in(job: Job, count: int, exc: BaseException) -> Any:
    try:
        return job.retry_in(count, exc)
    except Exception:
        logger.exception("%s.retry_in() raised; using the default backoff", type(job).__qualname__)
        return None


def _call_hook(hook: Any, payload: Payload, exc: BaseException) -> None:
    try:
        hook(payload, exc)
    except Exception:
        logger.exception("retries_exhausted() raised")
