"""Run `manage.py runworker` for the mail tests, and wait for conditions with a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import redis

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.05)


class MailWorker:
    """A worker process on the mailers queue, with tests.mail.settings and its log in a file."""

    def __init__(self, redis_url: str, log_path: Path, env: dict[str, str]) -> None:
        self.redis_url = redis_url
        self.log_path = log_path
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.mail.settings",
            "REDIS_URL": redis_url,
            **env,
        }
        command = [sys.executable, "manage.py", "runworker", "-c", "2", "-q", "mailers"]
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
        self.pid = self.process.pid

    def wait_ready(self) -> None:
        """Wait for the first heartbeat: the worker is fetching from now on."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            wait_for(lambda: self._alive() and client.scard("processes"), "the worker to start")
        finally:
            client.close()

    def _alive(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log()}")
        return True

    def stop(self) -> int:
        """SIGTERM and wait: the worker finishes or returns its jobs, then exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
