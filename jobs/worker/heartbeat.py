"""The heartbeat: keep this process visible and alive in Redis, in Sidekiq's format.

Every few seconds, in one MULTI:
1. flush the processed/failed counters summed in memory (and the daily keys), and
   the per-class metrics in Sidekiq's metrics keys (jobs.metrics);
2. rewrite `<identity>:work` (and Sidekiq 6's `<identity>:workers`) with the
   running jobs;
3. refresh the `<identity>` hash (info, busy, beat, rtt_us, quiet, rss, stopping) with a
   TTL: when it expires, other workers recover our in-progress list;
4. pop one signal a dashboard left in `<identity>-signals`;
5. read the length of the suspects lists of our queues, for solo mode
   (jobs/worker/solo.py): no round trip of its own.
The beat time is Redis-server time (one TIME call, which also measures the RTT).
The thread beats every HEARTBEAT_INTERVAL through outages (jobs.runtime.loop); after
each beat the launcher recovers orphans, reconciles, and acts on the popped signal.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import redis

from jobs import __version__
from jobs.metrics.tracker import Tally, flush_commands
from jobs.queue_order import QueueOrder
from jobs.redis import keys
from jobs.redis.connection import server_time
from jobs.runtime.clock import Clock
from jobs.runtime.health import Backoff, RedisHealth
from jobs.runtime.loop import redis_loop
from jobs.worker.manager import Running
from jobs.worker.stats import Counters

logger = logging.getLogger("jobs.worker")

DAILY_TTL = 5 * 365 * 24 * 3600  # Sidekiq keeps daily stats five years
WORK_TTL = 60


class Workload(Protocol):
    """What a beat reports of the processor threads (the Manager)."""

    def busy(self) -> int: ...

    def running(self) -> list[tuple[str, Running]]: ...


class SuspectWatch(Protocol):
    """Who wants to know how many suspects wait in our queues (the supply's solo gate)."""

    watched: tuple[str, ...]  # the suspects lists to measure

    def seen(self, waiting: int) -> None: ...


class Heartbeat:
    """Writes one beat (`beat()`), or one every `interval` seconds in a thread (`start()`)."""

    def __init__(
        self,
        client: redis.Redis,
        identity: str,
        info: dict[str, Any],
        manager: Workload,
        counters: Counters,
        clock: Clock,
        ttl: int,
        solo: SuspectWatch | None = None,
    ) -> None:
        self.client = client
        self.solo = solo
        self.identity = identity
        self.info = json.dumps(info, separators=(",", ":"))
        self.concurrency = int(info.get("concurrency") or 0)
        self.manager = manager
        self.counters = counters
        self.clock = clock
        self.ttl = ttl
        self.quiet = False
        self.stopping = False  # shutdown began: the dashboard shows "stopping"

    def beat(self) -> str | None:
        """Write one beat; return the signal popped, if any. Raises RedisError."""
        before = time.time()
        now = server_time(self.client)
        after = time.time()
        self.clock.update(now, before, after)
        processed, failed = self.counters.take()
        tally = self.counters.metrics.take()
        try:
            results = self._write(now, int((after - before) * 1_000_000), processed, failed, tally)
        except redis.RedisError:
            self.counters.add(processed, failed)
            self.counters.metrics.restore(tally)
            raise
        watched = len(self.solo.watched) if self.solo is not None else 0
        if self.solo is not None:
            self.solo.seen(sum(int(n) for n in results[len(results) - watched :]))
        signal = results[-2 - watched]
        return signal.decode("utf-8", "replace") if isinstance(signal, bytes) else None

    def start(
        self,
        interval: float,
        health: RedisHealth,
        stopping: threading.Event,
        after_beat: Callable[[str | None], None],
    ) -> None:
        """Beat every `interval` seconds until `stopping`; `after_beat(signal)` follows each beat."""

        def step() -> float:
            after_beat(self.beat())
            return interval

        def run() -> None:
            redis_loop(
                step,
                where="heartbeat",
                health=health,
                stopping=stopping,
                first_wait=interval,
                backoff=Backoff(interval, interval),  # in an outage too, one try a beat
                on_bug=_log_bug,  # a bug must not stop the beats, or the others recover our jobs
            )

        threading.Thread(target=run, name="heartbeat", daemon=True).start()

    def _write(
        self, now: float, rtt_us: int, processed: int, failed: int, tally: Tally
    ) -> list[Any]:
        pipe = self.client.pipeline(transaction=True)
        _add_stats(pipe, now, processed, failed)
        flush_commands(pipe, tally, now)
        self._write_work(pipe)
        pipe.sadd(keys.PROCESSES, self.identity)
        pipe.hset(
            self.identity,
            mapping={
                "info": self.info,
                "concurrency": self.concurrency,  # where Sidekiq 8 reads it
                "busy": self.manager.busy(),
                "beat": repr(now),
                "rtt_us": rtt_us,
                "quiet": "true" if self.quiet else "false",
                "stopping": "true" if self.stopping else "false",
                "rss": rss_kb(),
            },
        )
        pipe.expire(self.identity, self.ttl)
        pipe.rpop(keys.process_signals(self.identity))
        pipe.sadd(keys.WORKERS, self.identity)
        for key in self.solo.watched if self.solo is not None else ():
            pipe.llen(key)
        results: list[Any] = pipe.execute()
        return results

    def _write_work(self, pipe: Any) -> None:
        work_keys = (keys.process_work(self.identity), keys.process_workers(self.identity))
        pipe.delete(*work_keys)
        running = self.manager.running()
        if not running:
            return
        fields = {
            tid: json.dumps(
                {
                    "queue": run.payload.get("queue", "default"),
                    "payload": run.raw.decode("utf-8", "replace"),
                    "run_at": int(run.run_at),
                },
                separators=(",", ":"),
            )
            for tid, run in running
        }
        for key in work_keys:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, WORK_TTL)

    def forget(self) -> None:
        """On a clean exit: leave the process list, flush the last counts."""
        processed, failed = self.counters.take()
        pipe = self.client.pipeline(transaction=True)
        _add_stats(pipe, self.clock.now(), processed, failed)
        flush_commands(pipe, self.counters.metrics.take(), self.clock.now())
        pipe.srem(keys.PROCESSES, self.identity)
        pipe.srem(keys.WORKERS, self.identity)
        pipe.delete(
            self.identity,
            keys.process_work(self.identity),
            keys.process_workers(self.identity),
            keys.inprogress(self.identity),
        )
        pipe.execute()


def process_info(identity: str, tag: str, concurrency: int, queues: QueueOrder) -> dict[str, Any]:
    """The `info` field of the process hash, as Sidekiq writes it."""
    return {
        "hostname": socket.gethostname(),
        "started_at": time.time(),
        "pid": os.getpid(),
        "tag": tag,
        "concurrency": concurrency,
        "queues": list(queues.names),
        "weights": [dict(zip(queues.names, queues.weights, strict=True))],
        "labels": [],
        "identity": identity,
        "version": __version__,
        "embedded": False,
    }


def _log_bug(exc: Exception) -> None:
    logger.exception("heartbeat or recovery failed; trying again next beat")


def _add_stats(pipe: Any, now: float, processed: int, failed: int) -> None:
    """Add the counters to the totals and to today's keys (UTC), as Sidekiq does."""
    day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
    for kind, count, total in (
        ("processed", processed, keys.STAT_PROCESSED),
        ("failed", failed, keys.STAT_FAILED),
    ):
        if count:
            pipe.incrby(total, count)
            pipe.incrby(keys.stat_day(kind, day), count)
            pipe.expire(keys.stat_day(kind, day), DAILY_TTL)


def rss_kb(pid: int | str = "self") -> int:
    """Resident set size of a process in kB, from /proc (0 if unknown or gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
