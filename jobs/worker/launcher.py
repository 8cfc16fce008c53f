"""The worker process: start every part, handle signals, stop without losing a job.

1. Announce the process (first heartbeat) before fetching anything, so no other
   worker takes our in-progress list for an orphan's.
2. Recover orphaned in-progress lists of dead processes: at start (at once for
   workers that died on this host, by their lock files: predecessors.py), then on
   every heartbeat; each beat also puts back strays in our own list (reconcile.py).
3. Run the job supply (fetch, buffer, acker), the processor threads, the poller,
   the heartbeat and (with JOBS["SCHEDULE"]) the recurring runner; outages are
   waited out in each thread's own loop (jobs.runtime.loop), start-up's included.
4. Signals: TERM/INT stop; a second TERM/INT exits at once (our in-progress
   list stays for the others to recover); TSTP = quiet; TTIN logs every thread's stack.
5. Stop: quiet, wait up to the timeout for running jobs, write pending acks,
   push unfinished jobs back to the head of their queues, leave `processes`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass
from secrets import token_hex
from types import FrameType

import redis

from jobs import __version__
from jobs.conf import JobsSettings
from jobs.history import HistoryWriter
from jobs.queue_order import QueueOrder
from jobs.recurring.runner import start_recurring
from jobs.redis import keys
from jobs.redis.connection import make_client, mask_url
from jobs.runtime.clock import Clock
from jobs.runtime.health import BACKOFF_CAP, RedisHealth
from jobs.runtime.loop import redis_loop
from jobs.worker import joblog
from jobs.worker.affinity import Affinity
from jobs.worker.diagnostics import UNREACHABLE_HINT, check_redis, dump_threads
from jobs.worker.executor import Executor
from jobs.worker.heartbeat import Heartbeat, process_info
from jobs.worker.hints import HintsListener
from jobs.worker.manager import Manager
from jobs.worker.poller import Poller
from jobs.worker.predecessors import RestartRecovery
from jobs.worker.reconcile import Reconciler
from jobs.worker.recovery import Suspects, recover_orphans, requeue_list
from jobs.worker.stats import Counters
from jobs.worker.supply import JobSupply

logger = logging.getLogger("jobs.worker")


@dataclass(frozen=True)
class WorkerOptions:
    """What `runworker` was asked for, defaults filled in from JOBS."""

    concurrency: int
    queues: QueueOrder
    timeout: float
    tag: str
    settings: JobsSettings
    # Under `runworker --processes`: the supervisor ("host:pid") shown in the dashboard,
    # and the CPU core this child prefers (child i prefers the i-th allowed core).
    supervisor: str = ""
    core: int | None = None


class Launcher:
    """One worker process."""

    def __init__(self, options: WorkerOptions) -> None:
        self.options = options
        settings = options.settings
        self.url = settings.REDIS_URL
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{token_hex(6)}"
        self.client = make_client(self.url, max_connections=options.concurrency + 16)
        self.health = RedisHealth(mask_url(self.url))
        self.clock = Clock()
        self.counters = Counters()
        self.supply = JobSupply(self.client, self.url, self.identity, options.queues, self.health)
        self.history = HistoryWriter(self.identity, settings.HISTORY_TTL, settings.HISTORY_SIZE)
        executor = Executor(settings, self.counters, self.clock, self.history)
        self.affinity = Affinity.for_process(settings.PIN_CPU, prefer=options.core)
        self.manager = Manager(options.concurrency, self.supply, executor, self.affinity)
        self.stopping = threading.Event()
        self.poller = Poller(
            self.client, self.clock, self.health, settings.POLL_INTERVAL, self.stopping
        )
        self.hints = HintsListener(
            self.client,
            self.poller.wakeup,
            self.health,
            self.stopping,
            on_paused=self.supply.fetcher.pauses.poke,
        )
        info = process_info(self.identity, options.tag, options.concurrency, options.queues)
        if options.supervisor:
            info["supervisor"] = options.supervisor
        self.heartbeat = Heartbeat(
            self.client,
            self.identity,
            info,
            self.manager,
            self.counters,
            self.clock,
            settings.HEARTBEAT_TTL,
            solo=self.supply.solo,
        )
        self.restart = RestartRecovery(settings.STATE_DIR, self.identity, self.url)
        self._signals = 0
        # A missing heartbeat must stay missing for two beats plus a reconnect backoff
        # before its list is recovered: after a Redis restart every hash is gone at once.
        grace = 2 * settings.HEARTBEAT_INTERVAL + BACKOFF_CAP
        self.suspects: Suspects[str] = Suspects(grace)
        # The same wait before a job in our own list that nothing here holds is put back.
        self.reconciler = Reconciler(
            self.client, self.identity, self.supply.held, Suspects(grace), settings.MAX_RECOVERIES
        )

    def run(self) -> int:
        """Run until stopped; return the exit code."""
        self.install_signal_handlers()
        self._banner()
        self.restart.hold()  # from now until exit, the kernel vouches that we live
        if not self._wait_for_redis():  # stopped before Redis ever answered: nothing held
            self.restart.release(remove=True)
            logger.info("stopped before Redis answered; this worker held no job")
            return 0
        self._announce()
        if self.affinity is not None:
            self.affinity.start()  # before the first thread: they inherit the pin
        self.supply.start()
        self.manager.start()
        self.poller.start()
        self.hints.start()
        self._start_extras()
        self.heartbeat.start(
            self.options.settings.HEARTBEAT_INTERVAL, self.health, self.stopping, self._after_beat
        )
        # Until stopped, the main thread writes the history's runs no ack carried.
        self.history.write_until(self.client, self.clock.now, self.stopping)
        return self._shutdown()

    def _banner(self) -> None:
        options = self.options
        logger.info(
            "jobs %s worker %s starting: Redis %s, queues %s, concurrency %d, shutdown timeout %g s",
            __version__,
            self.identity,
            mask_url(self.url),
            options.queues.describe(),
            options.concurrency,
            options.timeout,
        )

    def _wait_for_redis(self) -> bool:
        """Wait until Redis answers (True), saying once how to start one; False if stopped."""
        hinted: list[bool] = []

        def step() -> None:
            try:
                check_redis(self.client)
            except redis.ConnectionError:
                if not hinted:
                    hinted.append(True)
                    logger.warning(UNREACHABLE_HINT, mask_url(self.url))
                raise

        return redis_loop(
            step,
            where="startup",
            health=self.health,
            stopping=self.stopping,
        )

    def _announce(self) -> None:
        """First beat, then recovery of dead predecessors' and orphans' jobs, before any fetch."""

        def step() -> None:
            self.heartbeat.beat()
            settings = self.options.settings
            self.restart.recover(self.client, self.clock.now(), settings.MAX_RECOVERIES)
            self._recover(self.clock.now())

        redis_loop(step, where="startup", health=self.health, stopping=self.stopping)

    def _recover(self, now: float) -> None:
        settings = self.options.settings
        recover_orphans(self.client, self.identity, now, settings.MAX_RECOVERIES, self.suspects)

    def _start_extras(self) -> None:
        """Start the recurring-jobs scheduler when JOBS["SCHEDULE"] has entries."""
        if self.options.settings.SCHEDULE:
            start_recurring(
                self.client, self.clock, self.health, self.stopping, lambda: self.heartbeat.quiet
            )

    def _after_beat(self, signal_name: str | None) -> None:
        """Each beat also recovers dead workers' lists and puts back our own strays."""
        now = self.clock.now()
        self._recover(now)
        self.reconciler.check(now)
        self.history.flush(self.client, now)  # trimmed to HISTORY_SIZE
        self.restart.touch()
        if signal_name:
            self._remote_signal(signal_name)

    def _remote_signal(self, name: str) -> None:
        logger.info("received %s from a dashboard", name)
        if name == "TSTP":
            self.quiet()
        elif name == "TERM":
            self.stopping.set()
        elif name == "TTIN":
            dump_threads()

    def quiet(self) -> None:
        if not self.heartbeat.quiet:
            logger.info("quiet: finishing running jobs, fetching no more")
        self.heartbeat.quiet = True
        self.supply.quiet()

    def _last_beat(self) -> None:
        """One beat saying "stopping" (the beat thread has ended), for the dashboard."""
        self.heartbeat.stopping = True
        with contextlib.suppress(redis.RedisError):  # an outage is reported at clean-up
            self.heartbeat.beat()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_stop_signal)
        signal.signal(signal.SIGTSTP, lambda *_: self.quiet())
        signal.signal(signal.SIGTTIN, lambda *_: dump_threads())

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals > 1:
            logger.warning(
                "second %s: exiting now; unfinished jobs will be recovered",
                signal.Signals(signum).name,
            )
            writer = joblog.installed()
            if writer is not None:
                writer.flush()
            logging.shutdown()
            os._exit(1)
        logger.info("%s: stopping (again to exit at once)", signal.Signals(signum).name)
        self.stopping.set()

    def _shutdown(self) -> int:
        timeout = self.options.timeout
        self.quiet()
        self._last_beat()
        # Fetched, not started: back to the head of their queues now, not after the wait.
        self.supply.give_back_unstarted(timeout=3.0)
        idle = self.manager.wait_idle(timeout)
        self.manager.stop()
        self.manager.join(5.0 if idle else 0.5)
        if not idle:
            logger.warning(
                "%d job(s) still running after %g s; pushing them back to their queues",
                self.manager.busy(),
                timeout,
            )
        self.supply.stop(timeout=10.0)
        try:
            requeued, _ = requeue_list(
                self.client,
                keys.inprogress(self.identity),
                self.clock.now(),
                died=False,
                max_recoveries=0,
            )
            self.heartbeat.forget()
            self.history.write(self.client, self.clock.now())  # the last second's runs
        except redis.RedisError as exc:
            logger.error(
                "could not clean up in Redis (%s); unfinished jobs will be recovered by another worker",
                exc,
            )
            self.restart.release(remove=False)  # our successor here recovers them at start
            return 1
        self.restart.release(remove=True)
        logger.info("stopped; %d unfinished job(s) pushed back to their queues", requeued)
        return 0
