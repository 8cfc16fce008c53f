"""The development loop: `runworker --reload`, bin/dev, bin/stop-redis, a worker without Redis.

Real processes throughout: a worker that reloads a job module edited on disk, bin/dev
running runserver and a worker from a copy of the repository, a redis-server that
bin/stop-redis stops because `.env` names its port.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import WorkerFactory
from tests.helpers import ROOT, alive, free_port, redis_server_binary, wait_for

pytestmark = pytest.mark.slow

JOB = """
from jobs import Job
from tests.testapp.jobs import ledger


class VersionJob(Job):
    def perform(self) -> None:
        ledger().rpush("ledger:version", "{version}")
"""


def enqueue_version_job(redis_url: str, app_dir: Path) -> None:
    """Push one VersionJob from another process, as a web request would."""
    code = "import django; django.setup(); from reloadapp.jobs import VersionJob; VersionJob.perform_async()"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reload_settings",
        "REDIS_URL": redis_url,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{app_dir}",
    }
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def live_pids(client: redis.Redis) -> set[int]:
    pids = set()
    for member in client.smembers("processes"):
        info = client.hget(member, "info")
        if info:
            pids.add(int(json.loads(info)["pid"]))
    return pids


def test_reload_runs_the_new_code_of_an_edited_job_module(
    redis_client: redis.Redis, redis_url: str, start_worker: WorkerFactory, tmp_path: Path
) -> None:
    app = tmp_path / "reloadapp"
    app.mkdir()
    (app / "__init__.py").write_text("")
    module = app / "jobs.py"
    module.write_text(JOB.format(version="v1"))
    (tmp_path / "reload_settings.py").write_text(
        'from tests.settings import *  # noqa: F403\n\nINSTALLED_APPS = [*INSTALLED_APPS, "reloadapp"]  # noqa: F405\n'
    )
    worker = start_worker(
        "--reload",
        "-c",
        "2",
        settings="reload_settings",
        env={"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"},
    )
    first = wait_for(lambda: live_pids(redis_client), 60, "the reloading worker's child")
    assert worker.pid not in first  # the command supervises; a child runs the jobs

    enqueue_version_job(redis_url, tmp_path)
    wait_for(lambda: redis_client.llen("ledger:version") == 1, 30, "v1 to run")

    module.write_text(JOB.format(version="v2"))
    stat = module.stat()
    os.utime(module, (stat.st_atime, stat.st_mtime + 2))  # a coarse clock still sees a change
    wait_for(lambda: live_pids(redis_client) - first, 60, f"a new child (log {worker.log_path})")
    enqueue_version_job(redis_url, tmp_path)
    wait_for(lambda: redis_client.llen("ledger:version") == 2, 30, "the job to run again")

    assert redis_client.lrange("ledger:version", 0, -1) == [b"v1", b"v2"]
    assert "changed: stopping, to restart with the new code" in worker.log()
    worker.signal(signal.SIGINT)  # the supervisor relays it once: a graceful stop
    assert worker.process.wait(60) == 0
    assert not live_pids(redis_client)


def test_an_unreachable_redis_says_how_to_start_one_and_ctrl_c_logs_no_error(
    start_worker: WorkerFactory,
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    worker = start_worker("-c", "1", env={"REDIS_URL": url})
    wait_for(lambda: "no Redis answers at" in worker.log(), 60, "the hint")

    worker.signal(signal.SIGINT)

    assert worker.process.wait(60) == 0
    log = worker.log()
    assert "redis-server" in log
    assert "bin/ensure-redis" in log
    assert "stopped before Redis answered" in log
    assert " ERROR: " not in log


def test_stop_redis_reads_the_port_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    for name in ("stop-redis", "lib.sh"):
        shutil.copy2(ROOT / "bin" / name, tmp_path / "bin" / name)
    port = free_port()
    (tmp_path / ".env").write_text(f"DEBUG=true\nREDIS_URL='redis://127.0.0.1:{port}/0'\n")
    run_dir = tmp_path / "var" / "redis"
    run_dir.mkdir(parents=True)
    pidfile = run_dir / f"redis-{port}.pid"
    # Daemonized, as bin/ensure-redis starts it: not a child of ours, so it leaves no zombie.
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "yes"]
    options += ["--pidfile", str(pidfile), "--dir", str(run_dir)]
    subprocess.run([redis_server_binary(), *options], check=True, timeout=30)
    pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), 20, "pid"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        result = subprocess.run(
            [str(tmp_path / "bin" / "stop-redis")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert f"Stopped the Redis on port {port}" in result.stdout
        assert not alive(pid)
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def dev_copy(tmp_path: Path) -> Path:
    """A copy of the repository for bin/dev to run in (it writes .env and var/ at its root)."""
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "staticfiles", "db.sqlite3")
    for name in ("bin", "jobs", "project", "templates"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in ("manage.py", "requirements.txt", "requirements-dev.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copy2(ROOT / ".env.example", copy / ".env.example")
    (copy / ".venv").symlink_to(Path(sys.prefix))
    return copy


@pytest.fixture
def bin_dev(
    dev_copy: Path, redis_url: str, redis_client: redis.Redis
) -> Iterator[tuple[subprocess.Popen[bytes], Path, str]]:
    port = free_port()
    log = dev_copy / "dev.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{dev_copy / 'db.sqlite3'}",
        "PORT": str(port),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(dev_copy / "bin" / "dev")],
            cwd=dev_copy,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield process, log, f"http://127.0.0.1:{port}/"
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_bin_dev_keeps_the_web_server_when_the_worker_is_stopped_from_the_dashboard(
    bin_dev: tuple[subprocess.Popen[bytes], Path, str], redis_client: redis.Redis
) -> None:
    process, log, url = bin_dev
    wait_for(lambda: answers(url), 240, f"bin/dev's web server ({log})", interval=0.5)
    [identity] = wait_for(lambda: redis_client.smembers("processes"), 120, "the worker")

    # What the dashboard's Stop button does: a TERM in the process's signal list.
    redis_client.lpush(identity + b"-signals", "TERM")
    wait_for(lambda: "The worker exited" in log.read_text(), 60, f"the worker to exit ({log})")

    assert answers(url)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    assert not answers(url)
    assert "--reload: watching Python files" in log.read_text()
