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
