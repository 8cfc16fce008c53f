"""The recurring-jobs thread, run by every worker process (`start_recurring`).

1. Sleep until the next tick of any entry, by Redis-server time (the worker's
   Clock), so every worker agrees on when a tick is due.
2. Claim each due tick with one Lua script that checks the tick against the
   entry's last claimed tick and pushes the job in the same step: however many
   workers race, each tick is enqueued once, and a worker dying mid-claim loses
   nothing. Ticks are claimed in increasing order, which is what makes "later
   than the last claimed tick" a sound claim.
3. A tick this thread was up for is claimed even when it wakes late (a pause, a
   Redis outage), up to LATE_LIMIT seconds back. Older ticks, and ticks from
   before it started (no worker was running), count as missed: only the most
   recent of them is enqueued, or none when the entry sets `"catch_up": False`.
4. A disabled entry's ticks are still claimed, without a push, so re-enabling
   it does not enqueue the ticks it slept through.
5. A quiet worker (TSTP, or Quiet in the dashboard) stops enqueuing ticks too, as it
   stops fetching: the thread ends, and the other workers claim the ticks (with none
   left, the ticks count as missed, as above, when a worker comes back).
6. Redis errors are logged once per outage (RedisHealth) and retried with
   backoff; no error ends the thread before the worker stops (jobs.runtime.loop).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

from jobs.recurring import status, store
from jobs.recurring.schedule import Entry, load_schedule
from jobs.recurring.times import latest_tick
from jobs.runtime.clock import Clock
from jobs.runtime.health import RedisHealth
from jobs.runtime.loop import redis_loop

logger = logging.getLogger("jobs.recurring")

# How far back a late wake still claims every tick it slept through (seconds).
LATE_LIMIT = 60.0
# Wake at least this often, so a corrected clock is taken into account.
MAX_SLEEP = 30.0
# An entry that raised something other than a Redis error is tried again after this.
RETRY_AFTER = 60.0
# Wake this long after a tick, so a clock a hair behind Redis's does not wake early.
WAKE_AFTER = 0.002


def never() -> bool:
    return False


def start_recurring(
    client: redis.Redis,
    clock: Clock,
    health: RedisHealth,
    stopping: threading.Event,
    quiet: Callable[[], bool] = never,
) -> threading.Thread | None:
    """Start the recurring-jobs thread of this worker; None when no entry is valid."""
    entries, errors = load_schedule()
    for error in errors:
        logger.error("%s; it will not run (see `manage.py check`)", error)
    if not entries:
        return None
    status.connect(client, clock)
    runner = RecurringRunner(client, clock, health, stopping, entries, quiet)
    thread = threading.Thread(target=runner.run, name="recurring", daemon=True)
    thread.start()
    logger.info(
        "recurring: %d entr%s (%s)",
        len(entries),
        "y" if len(entries) == 1 else "ies",
        ", ".join(entry.name for entry in entries),
    )
    return thread


def ticks_to_claim(entry: Entry, last: int | None, started: float, now: float) -> list[int]:
    """The ticks of `entry` to claim at `now`, oldest first.

    `last` is the entry's last claimed tick (None: never ran), `started` when this
    runner started: ticks after both (and within LATE_LIMIT) are on time, the
    ones before are missed.
    """
    on_time_after = max(started, now - LATE_LIMIT, last if last is not None else started)
    ticks: list[int] = []
    if entry.catch_up and last is not None:
        missed = latest_tick(entry.times, on_time_after, last)
        if missed is not None:
            ticks.append(missed)
    tick = entry.next_after(on_time_after)
    while tick <= now:
        ticks.append(tick)
        tick = entry.next_after(tick)
    return ticks


class RecurringRunner:
    """Claims the ticks of every entry, in one thread per worker process."""

    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        health: RedisHealth,
        stopping: threading.Event,
        entries: list[Entry],
        quiet: Callable[[], bool] = never,
    ) -> None:
        self.client = client
        self.quiet = quiet
        self.clock = clock
        self.health = health
        self.stopping = stopping
        self.entries = entries
        self.started = clock.now()
        # When each entry next needs a look; 0 = now (catch up on a missed tick first).
        self.due_at = {entry.name: 0.0 for entry in entries}

    def run(self) -> None:
        redis_loop(
            self.step,
            where="recurring",
            health=self.health,
            stopping=self.stopping,
            on_bug=_log_bug,  # a bug must not silence every schedule of this worker for good
        )

    def step(self) -> float | None:
        """Claim what is due now; return how long to sleep before the next look.

        None (the thread ends) once the worker is quiet: it enqueues no more ticks.
        """
        if self.quiet():
            logger.info("recurring: quiet, so this worker enqueues no more ticks")
            return None
        wake_at = self.run_due(self.clock.now())
        delay = wake_at + WAKE_AFTER - self.clock.now()
        return min(max(delay, 0.0), MAX_SLEEP)

    def run_due(self, now: float) -> float:
        """Claim every due tick; return when the next entry is due."""
        due = [entry for entry in self.entries if self.due_at[entry.name] <= now]
        if due:
            lasts = store.last_ticks(self.client, [entry.name for entry in due])
            for entry in due:
                self.run_entry(entry, lasts[entry.name], now)
        return min(self.due_at.values())

    def run_entry(self, entry: Entry, last: int | None, now: float) -> None:
        """Claim the due ticks of one entry; a bug in one entry leaves the others running."""
        try:
            for tick in ticks_to_claim(entry, last, self.started, now):
                self.claim(entry, tick, now)
            self.due_at[entry.name] = entry.next_after(now)
        except redis.RedisError:
            raise
        except Exception:
            logger.exception("recurring %s: failed; trying again in %g s", entry.name, RETRY_AFTER)
            self.due_at[entry.name] = now + RETRY_AFTER

    def claim(self, entry: Entry, tick: int, now: float) -> store.Claim:
        payload = entry.payload(now, tick)
        result = store.claim(self.client, entry, tick, payload, now)
        if result is store.Claim.PUSHED:
            late = now - tick
            logger.info(
                "recurring %s: enqueued %s jid=%s for tick %d%s",
                entry.name,
                entry.job_name,
                payload["jid"],
                tick,
                f" ({late:.0f} s late)" if late >= 1 else "",
            )
        return result


def _log_bug(exc: Exception) -> None:
    logger.exception("recurring: unexpected error; retrying")
