"""The django.tasks row's systems: ours when jobs.tasks exists, and the peer backends.

1. Ours (`tasks-jobs`) only when this checkout has `jobs.tasks` (the backend), else a note.
2. The peers' venv, bench/.work/venv-tasks (django-tasks-db, django-tasks-rq, huey).
3. django-tasks-db's PostgreSQL: its database made and migrated; a server that is down is
   started when we are root and Debian's pg_ctlcluster knows it; else the row is left out
   with a note.
4. threadmill in a venv of its own: its latest on a Python 3.14, else 0.3.1 on 3.12+ (a
   note says so), else left out with a note.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib.util import find_spec
from pathlib import Path

from bench.paths import ROOT
from bench.systems import System, ours_tasks, task_peers
from bench.venvs import TASKS, THREADMILL, THREADMILL_PY312, ensure_venv, find_python, venv_python

NO_SERVER = 3  # bench/taskpeers/prepare.py's exit code when PostgreSQL cannot be used
# bench/run --tasks: these rows, our Job row beside them.
ROWS = ("jobs-info", "tasks-jobs", "tasks-db", "tasks-rq", "tasks-huey", "tasks-threadmill")


def has_our_backend() -> bool:
    return find_spec("jobs.tasks") is not None


def ours(python: Path, url: str, notes: list[str]) -> list[System]:
    if has_our_backend():
        return [ours_tasks(python, url)]
    notes.append("jobs.tasks is not in this checkout: no row for our django.tasks backend.")
    return []


def systems(python: Path, url: str, notes: list[str]) -> list[System]:
    """Every django.tasks system this machine can run, saying in `notes` what it cannot."""
    venv = ensure_venv("tasks", TASKS)
    return [*ours(python, url, notes), *task_peers(venv, threadmill(notes), database(venv, notes))]


def prepare(venv: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.taskpeers.settings",
        BENCH_TASKS_PEER="db",
        PYTHONPATH=str(ROOT),
    )
    argv = [str(venv_python(venv)), "-m", "bench.taskpeers.prepare"]
    return subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def start_postgres() -> bool:
    """Start Debian's PostgreSQL clusters that are down (as root); True if one was started."""
    if os.geteuid() != 0 or not shutil.which("pg_lsclusters"):
        return False
    argv = ["pg_lsclusters", "--no-header"]
    listed = subprocess.run(argv, capture_output=True, text=True, check=False)
    started = False
    for line in listed.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3] == "down":
            done = subprocess.run(["pg_ctlcluster", fields[0], fields[1], "start"], check=False)
            started = started or done.returncode == 0
    return started


def database(venv: Path, notes: list[str]) -> bool:
    """True when django-tasks-db has its database; else a note says why."""
    done = prepare(venv)
    if done.returncode == NO_SERVER and start_postgres():
        done = prepare(venv)
    if done.returncode == 0:
        return True
    reason = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
    notes.append(f"django-tasks-db left out: {reason[0]}")
    return False


def threadmill(notes: list[str]) -> Path | None:
    """threadmill's venv, or None with a note saying why it does not run here."""
    python = find_python((3, 14))
    requirements = THREADMILL
    if python is None:
        # Its releases since 0.4 need Python 3.14; 0.3.1 is the last for 3.12+.
        python = find_python((3, 12))
        requirements = THREADMILL_PY312
        if python is None:
            notes.append("threadmill left out: it needs Python 3.12+ (0.4+: 3.14+); none here.")
            return None
        notes.append(
            "threadmill: no Python 3.14 here, which its releases since 0.4 need, so 0.3.1 ran, "
            "on Python 3.12+ and Django 6.1 (the other rows: the project's .venv's versions)."
        )
    try:
        return ensure_venv("threadmill", requirements, python)
    except subprocess.CalledProcessError as exc:
        notes.append(f"threadmill left out: it did not install ({exc}).")
        return None
