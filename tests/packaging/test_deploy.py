"""The deployment recipes: both compose files, the systemd units and the Procfile.

Docker Compose validates the files when it is installed (`docker compose`, else the older
`docker-compose`); building their images needs base images from a registry, which CI
cannot count on, so nothing here builds. The checks on the text hold without it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jobs.conf import JobsSettings
from tests.helpers import ROOT

DEMO = ROOT / "docker-compose.yml"
PROD = ROOT / "deploy" / "docker-compose.prod.yml"
SHUTDOWN_TIMEOUT = JobsSettings().SHUTDOWN_TIMEOUT
PROD_ENV = {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "jobs.example.com", "POSTGRES_PASSWORD": "p"}


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        found = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if found.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def compose_config(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = compose_command()
    if command is None:
        pytest.skip("no Docker Compose here (docker compose or docker-compose) to validate with")
    variables = {k: v for k, v in os.environ.items() if k not in PROD_ENV}
    return subprocess.run(
        [*command, "-f", str(path), "config"],
        capture_output=True,
        text=True,
        env={**variables, **env},
        timeout=60,
        check=False,
    )


def services(config: str) -> dict[str, str]:
    """Each service's block of `compose config` output (YAML, two-space indents)."""
    body = re.split(r"^services:\n", config, maxsplit=1, flags=re.MULTILINE)[1]
    blocks: dict[str, str] = {}
    name = None
    for line in body.splitlines():
        if re.match(r"^[^\s]", line):
            break  # the next top-level key
        match = re.match(r"^  ([\w-]+):$", line)
        if match:
            name = match.group(1)
            blocks[name] = ""
        elif name:
            blocks[name] += line + "\n"
    return blocks


def test_the_demo_compose_file_is_valid_and_the_worker_builds_too() -> None:
    result = compose_config(DEMO, {})
    assert result.returncode == 0, result.stderr
    found = services(result.stdout)
    assert {"redis", "web", "worker"} <= set(found)
    for name in ("web", "worker"):
        assert "build:" in found[name], f"{name} has no build: `compose up {name}` would fail"
    assert "pull_policy" not in found["worker"]


def test_the_demo_compose_file_says_it_is_a_demo() -> None:
    head = DEMO.read_text().split("\n\n", 1)[0]
    assert "A DEMO, not a production set-up" in head
    assert "deploy/docker-compose.prod.yml" in head


def test_the_production_compose_file_is_valid_and_refuses_a_missing_secret() -> None:
    result = compose_config(PROD, PROD_ENV)
    assert result.returncode == 0, result.stderr
    found = services(result.stdout)
    assert {"redis", "postgres", "migrate", "web", "worker"} <= set(found)
    assert "gunicorn" in found["web"]
    assert "runserver" not in result.stdout
    assert 'DEBUG: "false"' in found["web"] or "DEBUG: 'false'" in found["web"]

    missing = compose_config(PROD, {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"})
    assert missing.returncode != 0
    assert "set SECRET_KEY" in missing.stderr


def test_production_redis_keeps_jobs_on_disk_and_never_evicts_them() -> None:
    text = PROD.read_text()
    redis_block = text.split("\n  redis:\n", 1)[1].split("\n  postgres:\n", 1)[0]
    flags = re.findall(r"^\s+- (\S+)$", redis_block, re.MULTILINE)
    assert flags[flags.index("--appendonly") + 1] == '"yes"'
    assert flags[flags.index("--maxmemory-policy") + 1] == "noeviction"
    assert "redis-data:/data" in redis_block


def test_stop_timeouts_leave_the_worker_its_shutdown_timeout() -> None:
    def seconds(pattern: str, text: str) -> int:
        match = re.search(pattern, text, re.MULTILINE)
        assert match, pattern
        return int(match.group(1))

    prod_worker = PROD.read_text().split("\n  worker:\n", 1)[1]
    assert seconds(r"stop_grace_period: (\d+)s", prod_worker) > SHUTDOWN_TIMEOUT
    demo_worker = DEMO.read_text().split("\n  worker:\n", 1)[1]
    assert seconds(r"stop_grace_period: (\d+)s", demo_worker) > SHUTDOWN_TIMEOUT
    unit = (ROOT / "deploy" / "systemd" / "jobs-worker@.service").read_text()
    assert seconds(r"^TimeoutStopSec=(\d+)$", unit) > SHUTDOWN_TIMEOUT
    assert "KillSignal=SIGTERM" in unit
    assert "KillMode=mixed" in unit
    assert "manage.py runworker" in unit


def test_the_procfile_runs_web_worker_and_migrations() -> None:
    lines = (ROOT / "deploy" / "Procfile").read_text().splitlines()
    kinds = dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))
    assert kinds["worker"] == "python manage.py runworker"
    assert kinds["web"].startswith("gunicorn ")
    assert kinds["release"] == "python manage.py migrate --noinput"
