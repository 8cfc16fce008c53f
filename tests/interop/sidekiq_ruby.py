"""Drive Debian's Ruby Sidekiq (6.4) from the tests: its client, its API, a worker, its Web UI.

Every Ruby program here lives in `ruby/` and reads REDIS_URL, so Ruby and Python share
the test database exactly as a Rails app and a Django app would share one Redis.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from functools import cache
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import redis

from tests.helpers import free_port, wait_for

RUBY_DIR = Path(__file__).resolve().parent / "ruby"
INSTALL_HINT = "apt-get install ruby ruby-sidekiq (bin/test does it when run as root)"


def ruby_error(ruby: str, program: str) -> str | None:
    """Run a one-line Ruby program; the first line of its error output if it failed."""
    probe = subprocess.run(
        [ruby, "-e", program], capture_output=True, text=True, timeout=60, check=False
    )
    return first_line(probe.stderr) if probe.returncode != 0 else None


@cache
def missing() -> str | None:
    """Why Ruby Sidekiq cannot run here, or None when it can."""
    ruby = shutil.which("ruby")
    if ruby is None:
        return f"no `ruby` on PATH: {INSTALL_HINT}"
    error = ruby_error(ruby, 'require "sidekiq"; require "rack"; print Sidekiq::VERSION')
    if error is not None:
        return f"Ruby cannot load the sidekiq gem ({error}): {INSTALL_HINT}"
    if shutil.which("sidekiq") is None:
        return f"no `sidekiq` command on PATH: {INSTALL_HINT}"
    return None


@cache
def missing_web() -> str | None:
    """Why Sidekiq's Web UI cannot be served here (rackup, WEBrick, Rack's sessions)."""
    if shutil.which("rackup") is None:
        return "no `rackup` command: apt-get install ruby-rack ruby-webrick"
    error = ruby_error(
        "ruby", 'require "webrick"; require "rack/session/cookie"; require "sidekiq/web"'
    )
    if error is not None:
        return f"cannot serve Sidekiq::Web with WEBrick ({error}): apt-get install ruby-webrick"
    return None


def first_line(text: str) -> str:
    """The first line of an error output, cut short."""
    lines = text.strip().splitlines()
    return lines[0][:200] if lines else "no error output"


def ruby_env(redis_url: str) -> dict[str, str]:
    """The environment of every Ruby process: ours, plus the test database."""
    return {**os.environ, "REDIS_URL": redis_url}


def identity_of(client: redis.Redis, pid: int) -> str | None:
    """The identity whose heartbeat says it is process `pid`, if it has beaten yet."""
    for member in client.smembers("processes"):
        info = client.hget(member, "info")
        if info and json.loads(info).get("pid") == pid:
            return str(member.decode())
    return None


class RubyClient:
    """Sidekiq's client and data API (the Web UI's model), one short Ruby run per call."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url

    def run(self, script: str, *args: str) -> Any:
        """Run `ruby/<script>` and decode the JSON it prints."""
        result = subprocess.run(
            ["ruby", str(RUBY_DIR / script), *args],
            env=ruby_env(self.redis_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"ruby {script} exited {result.returncode}:\n{result.stderr}")
        return json.loads(result.stdout)

    def push(self, *items: dict[str, Any]) -> list[str]:
        """`Sidekiq::Client.push(item)` for each item; the jids, in order."""
        jids: list[str] = self.run("push.rb", json.dumps(list(items)))
        return jids

    def state(self) -> dict[str, Any]:
        """Queues, sets, processes, running jobs and stats, as Sidekiq's API reads them."""
        state: dict[str, Any] = self.run("state.rb")
        return state

    def retry_now(self, set_name: str, jid: str) -> bool:
        """The Web UI's "Retry Now" on job `jid` of the `retry` or `dead` set."""
        return bool(self.run("retry_now.rb", set_name, jid))

    def signal(self, identity: str, action: str) -> bool:
        """The Web UI's "Quiet" or "Stop" button (`quiet!` / `stop!`) for one process."""
        return bool(self.run("signal.rb", identity, action))


class RubyProcess:
    """A long-running Ruby program with its output in a log file."""

    def __init__(self, command: list[str], redis_url: str, log_path: Path) -> None:
        self.redis_url = redis_url
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=RUBY_DIR,
            env=ruby_env(redis_url),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.process.pid

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def check_running(self) -> None:
        """Fail with the log if the program has exited."""
        if self.process.poll() is not None:
            raise AssertionError(f"{self.log_path.name} exited early:\n{self.log()}")

    def stop(self, timeout: float = 30.0) -> int:
        """TERM, then wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def close(self) -> None:
        """Kill it if it still runs (teardown)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self._log.close()


class RubyWorker(RubyProcess):
    """`sidekiq -r ruby/workers.rb -q QUEUE ...`: a real Ruby Sidekiq server."""

    def __init__(self, redis_url: str, log_path: Path, queues: list[str]) -> None:
        command = ["sidekiq", "-r", str(RUBY_DIR / "workers.rb"), "-c", "2", "-t", "5"]
        for queue in queues:
            command += ["-q", queue]
        super().__init__(command, redis_url, log_path)

    def wait_ready(self, timeout: float = 30.0) -> str:
        """Wait for the first heartbeat; return the process identity."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            identity = wait_for(
                lambda: self._identity(client),
                timeout,
                f"Ruby sidekiq {self.pid} to start (log {self.log_path})",
                interval=0.05,
            )
        finally:
            client.close()
        assert identity is not None
        return identity

    def _identity(self, client: redis.Redis) -> str | None:
        self.check_running()
        return identity_of(client, self.pid)


class WebUI(RubyProcess):
    """Sidekiq's Web UI (Sidekiq::Web from the Debian package) served by WEBrick on loopback."""

    def __init__(self, redis_url: str, log_path: Path) -> None:
        self.port = free_port()
        config = str(RUBY_DIR / "config.ru")
        command = ["rackup", "-s", "webrick", "-o", "127.0.0.1", "-p", str(self.port), config]
        super().__init__(command, redis_url, log_path)
        # One browser-like session: Sidekiq::Web keeps its CSRF token in a session cookie.
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # loopback, never through an HTTP proxy
            urllib.request.HTTPCookieProcessor(self.cookies),
        )

    def get(self, path: str) -> tuple[int, str]:
        """GET a page; return the status and the body."""
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the dashboard answers 200."""
        wait_for(
            self._answers,
            timeout,
            f"Sidekiq's Web UI on port {self.port} (log {self.log_path})",
            interval=0.1,
        )

    def _answers(self) -> bool:
        self.check_running()
        try:
            return self.get("/")[0] == 200
        except OSError:
            return False

    def session_cookies(self) -> list[str]:
        """Names of the cookies the Web UI set (the Rack session among them)."""
        return [cookie.name for cookie in self.cookies]
