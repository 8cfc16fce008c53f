"""`manage.py runworker`: parse options and start a worker process."""

from __future__ import annotations

import gc
import logging
import os
import sys
from argparse import ArgumentParser
from typing import Any, NoReturn

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError

from jobs.conf import get_settings, settings_problems
from jobs.queue_order import QueueConfigError, QueueOrder
from jobs.worker import joblog, reload
from jobs.worker.launcher import Launcher, WorkerOptions
from jobs.worker.swarm import Supervisor, swarm_size

LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}


class Command(BaseCommand):
    help = "Run a jobs worker: fetch and run jobs from Redis with a pool of threads."
    # The checks that concern running jobs: the models they may use, and ours (settings,
    # job classes, mail, schedule). URL, template, admin and static-file checks are the
    # web process's; they cost a worker a quarter of its start-up for nothing.
    requires_system_checks = [Tags.models, Tags.compatibility]

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "-c", "--concurrency", type=int, help="threads (default JOBS['CONCURRENCY'])"
        )
        parser.add_argument(
            "-q",
            "--queue",
            action="append",
            dest="queues",
            metavar="NAME[,WEIGHT]",
            help="a queue to read; repeat for more; weights give weighted random order",
        )
        parser.add_argument(
            "--timeout", type=float, help="seconds to wait for running jobs on stop"
        )
        parser.add_argument("--tag", default="", help="a label shown in the dashboard")
        parser.add_argument(
            "--processes",
            metavar="N|auto",
            help="N worker processes under one supervisor (auto: one per usable core)",
        )
        parser.add_argument(
            "--max-memory",
            type=int,
            metavar="MB",
            help="restart gracefully a worker process whose RSS passes MB (implies --processes)",
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="restart when a Python file changes (development, as runserver does)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wrong = settings_problems()  # the checks report them too, unless --skip-checks
        if wrong:
            raise CommandError("\n".join(["JOBS is misconfigured:", *(p.message for p in wrong)]))
        settings = get_settings()
        concurrency = options["concurrency"] or settings.CONCURRENCY
        if concurrency < 1:
            raise CommandError("concurrency must be at least 1")
        try:
            order = QueueOrder.from_entries(options["queues"] or settings.QUEUES)
        except QueueConfigError as exc:
            raise CommandError(str(exc)) from None
        timeout = (
            options["timeout"] if options["timeout"] is not None else settings.SHUTDOWN_TIMEOUT
        )
        swarm = options["processes"] is not None or options["max_memory"] is not None
        if swarm and options["reload"]:
            raise CommandError("--reload runs one worker: leave out --processes and --max-memory")
        if swarm:
            worker = WorkerOptions(concurrency, order, float(timeout), options["tag"], settings)
            run_swarm(worker, options["processes"], options["max_memory"], options["verbosity"])
        configure_logging(options["verbosity"])
        if options["reload"] and not reload.in_child():
            sys.exit(reload.supervise())  # runs this command again in a child, restarting it
        launcher = Launcher(
            WorkerOptions(concurrency, order, float(timeout), options["tag"], settings)
        )
        watcher = reload.Watcher(launcher.stopping.set) if options["reload"] else None
        if watcher is not None:
            watcher.start()
        # Everything loaded so far (Django, the apps, the jobs) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise walk it again and again.
        # (No gc.collect() first: start-up leaves a dozen cyclic objects, not worth 13 ms.)
        gc.freeze()
        code = launcher.run()
        if watcher is not None:
            code = watcher.exit_code(code)
        writer = joblog.installed()
        if writer is not None:
            writer.flush()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        # Threads stuck in a job must not keep the process alive past a clean stop.
        os._exit(code)


class WorkerFormatter(logging.Formatter):
    """Sidekiq-like lines: UTC time, pid, thread, level, message."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s pid=%(process)d tid=%(threadName)s %(levelname)s: %(message)s"
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        from datetime import UTC, datetime

        return (
            datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        )


def configure_logging(verbosity: int, *, joblines: bool = True) -> None:
    """Send the `jobs` loggers to stdout at the level -v asks for (`joblines`: per-job lines too)."""
    logger = logging.getLogger("jobs")
    logger.setLevel(LEVELS.get(verbosity, logging.INFO))
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(WorkerFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    if joblines and logger.isEnabledFor(logging.INFO):
        joblog.install(sys.stdout)


def run_swarm(
    worker: WorkerOptions, processes: str | None, max_memory: int | None, verbosity: int
) -> NoReturn:
    """`--processes`/`--max-memory`: fork workers under a supervisor (jobs/worker/swarm.py)."""
    try:
        count = swarm_size(processes, max_memory)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    configure_logging(verbosity, joblines=False)  # the job-line thread is each child's
    supervisor = Supervisor(worker, count, max_memory, lambda: configure_logging(verbosity))
    code = supervisor.run()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
