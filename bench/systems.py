"""The systems measured: our worker in two settings, and each peer with its own command.

Every system is a worker command (spawned once per run, in its own session) and an
enqueue command (`... MODE N`, printing one JSON line), both with the same environment:
BENCH_REDIS_URL, BENCH_N, and what the system needs to find its code.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bench.paths import PEERS, ROOT, SIDEKIQ
from bench.venvs import venv_python

SLOW_MAX_N = 10_000  # rq, celery, arq: a 50,000-job drain takes 1.5-5 minutes each
TASKS_N = 10_000  # the django.tasks rows: issue 15 compares 10,000 no-op tasks
TASKS_ENQUEUE = ["-m", "bench.djangoapp.enqueue_tasks"]


@dataclass(frozen=True)
class System:
    key: str  # stable id, e.g. "jobs-info"
    name: str  # what it is, e.g. "jobs (ours)"
    setting: str  # how it runs, e.g. "-c 10, INFO per-job log (default)"
    worker: list[str]
    enqueue: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    bulk: bool = False
    ours: bool = False
    # Largest N run by default: the slow peers' 50,000-job drains take minutes each.
    max_n: int | None = None
    # "jobs": the Job/peer rows; "tasks": the django.tasks rows (their own table).
    group: str = "jobs"

    def environ(self, url: str, n: int) -> dict[str, str]:
        """The environment of this system's processes for a run of `n` jobs."""
        env = dict(os.environ)
        # Workers in production have their bytecode cached; let them write it.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(self.env)
        env.update(BENCH_REDIS_URL=url, BENCH_N=str(n), PYTHONUNBUFFERED="1")
        return env


def ours(python: Path, url: str) -> list[System]:
    """Our worker as a user starts it: `manage.py runworker`, default -c 10."""
    env = {"DJANGO_SETTINGS_MODULE": "bench.settings", "REDIS_URL": url, "PYTHONPATH": str(ROOT)}
    worker = [str(python), "manage.py", "runworker"]
    enqueue = [str(python), "-m", "bench.djangoapp.enqueue"]
    return [
        System(key, "jobs (ours)", setting, argv, enqueue, ROOT, env, bulk=True, ours=True)
        for key, setting, argv in (
            ("jobs-info", "-c 10, INFO per-job log (default)", worker),
            ("jobs-v0", "-c 10, -v 0 (no per-job log)", [*worker, "-v", "0"]),
        )
    ]


def sidekiq() -> list[System]:
    """Ruby Sidekiq (Debian's ruby-sidekiq) at -c 10, Sidekiq's INFO default and WARN."""
    binary = shutil.which("sidekiq") or "sidekiq"
    worker = [binary, "-r", "./jobs.rb", "-c", "10"]
    enqueue = ["ruby", "enqueue.rb"]
    return [
        System(
            f"sidekiq-{level}",
            "Sidekiq (Ruby)",
            f"-c 10, {level.upper()} log{' (default)' if level == 'info' else ''}",
            worker,
            enqueue,
            SIDEKIQ,
            {"BENCH_LOG_LEVEL": level},
            bulk=True,
        )
        for level in ("info", "warn")
    ]


def peers(peers_venv: Path, arq_venv: Path | None, url: str) -> list[System]:
    """The Python peers, each with the setting of BENCH.md's table."""
    bin_dir = peers_venv / "bin"
    env = {"PYTHONPATH": str(PEERS)}

    def enqueue(venv: Path, system: str) -> list[str]:
        return [str(venv_python(venv)), "enqueue.py", system]

    found = [
        System(
            "dramatiq",
            "dramatiq",
            "default (2 processes x 8 threads)",
            [str(bin_dir / "dramatiq"), "tasks_dramatiq"],
            enqueue(peers_venv, "dramatiq"),
            PEERS,
            env,
        ),
        System(
            "huey",
            "huey",
            "default (1 worker thread)",
            [str(bin_dir / "huey_consumer"), "tasks_huey.huey"],
            enqueue(peers_venv, "huey"),
            PEERS,
            env,
        ),
        System(
            "celery",
            "celery",
            "default (prefork, 1 child per CPU)",
            [str(bin_dir / "celery"), "-A", "tasks_celery", "worker"],
            enqueue(peers_venv, "celery"),
            PEERS,
            env,
            bulk=True,
            max_n=SLOW_MAX_N,
        ),
        System(
            "rq",
            "rq",
            "SimpleWorker (no fork per job)",
            [str(bin_dir / "rq"), "worker", "-u", url, "-w", "rq.worker.SimpleWorker", "default"],
            enqueue(peers_venv, "rq"),
            PEERS,
            env,
            bulk=True,
            max_n=SLOW_MAX_N,
        ),
    ]
    if arq_venv is not None:
        found.append(
            System(
                "arq",
                "arq",
                "poll_delay 10 ms (default 0.5 s), max_jobs 10",
                [str(arq_venv / "bin" / "arq"), "tasks_arq.WorkerSettingsPoll10ms"],
                enqueue(arq_venv, "arq"),
                PEERS,
                env,
                bulk=True,
                max_n=SLOW_MAX_N,
            )
        )
    return found


def ours_tasks(python: Path, url: str) -> System:
    """Our django.tasks backend (jobs.tasks.JobsBackend), run by `manage.py runworker`."""
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings_tasks",
        "REDIS_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    return System(
        "tasks-jobs",
        "django.tasks: jobs.tasks.JobsBackend (ours)",
        "runworker -c 10, INFO per-job log (default)",
        [str(python), "manage.py", "runworker"],
        [str(python), *TASKS_ENQUEUE],
        ROOT,
        env,
        ours=True,
        max_n=TASKS_N,
        group="tasks",
    )


def task_peers(venv: Path, threadmill_venv: Path | None, db: bool) -> list[System]:
    """The django.tasks backends a user would pick instead, each with its own worker.

    Every one runs bench/djangoapp/tasks.py with bench/taskpeers/settings.py; `db` says
    whether django-tasks-db has its PostgreSQL (bench/taskpeers/prepare.py).
    """

    def peer(key: str, name: str, setting: str, argv: list[str], home: Path = venv) -> System:
        python = str(venv_python(home))
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.taskpeers.settings",
            "BENCH_TASKS_PEER": key,
            "PYTHONPATH": str(ROOT),
        }
        worker = [python, "-m", "django", *argv]
        return System(
            f"tasks-{key}",
            f"django.tasks: {name}",
            setting,
            worker,
            [python, *TASKS_ENQUEUE],
            ROOT,
            env,
            max_n=TASKS_N,
            group="tasks",
        )

    found = []
    if db:
        found.append(
            peer(
                "db",
                "django-tasks-db (PostgreSQL)",
                "db_worker, poll 10 ms (default 1 s), no start-up delay",
                ["db_worker", "--interval", "0.01", "--no-startup-delay"],
            )
        )
    found += [
        peer(
            "rq",
            "django-tasks-rq",
            "rqworker, SimpleWorker (no fork per job), as the rq row",
            [
                "rqworker",
                "default",
                "--job-class",
                "django_tasks_rq.Job",
                "--worker-class",
                "rq.worker.SimpleWorker",
            ],
        ),
        peer(
            "huey",
            "Huey (huey.contrib.djhuey)",
            "run_huey, default (1 worker thread)",
            ["run_huey"],
        ),
    ]
    if threadmill_venv is not None:
        found.append(
            peer(
                "threadmill",
                "threadmill (Redis)",
                "threadmill worker -w 1 (one process; default CPUs - 1), 1 thread (default)",
                ["threadmill", "worker", "--workers", "1"],
                threadmill_venv,
            )
        )
    return found
