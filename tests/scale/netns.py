"""Test hosts made of Linux network namespaces: one Redis host and worker hosts.

Each host is a namespace of its own with one veth link to a bridge inside the
Redis host's namespace (a switch), on a private /24 picked per run; this process
reaches Redis through one more veth of its own. Nothing leaves the machine.
`cut(host)` takes that host's switch port down (its packets go nowhere, as when a
cable is pulled); `heal(host)` brings it back. Names are unique per run, and
`remove()` deletes every namespace and link it made, even after a failure.
Needs root (CAP_NET_ADMIN) and iproute2's `ip`.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


def unavailable() -> str | None:
    """Why namespaces cannot be made here, or None when they can."""
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_NET_ADMIN)"
    probe = f"jprobe{uuid.uuid4().hex[:6]}"
    try:
        _ip("netns", "add", probe)
    except (subprocess.CalledProcessError, OSError) as exc:
        return f"`ip netns add` failed: {getattr(exc, 'stderr', b'') or exc}"
    _ip("netns", "del", probe)
    return None


class Hosts:
    """A Redis host and `workers` worker hosts, each in its own network namespace."""

    def __init__(self, workers: int) -> None:
        tag = uuid.uuid4().hex[:6]
        self.prefix = f"j{tag}"
        self.redis_ns = f"{self.prefix}-redis"
        self.worker_ns = [f"{self.prefix}-w{n}" for n in range(1, workers + 1)]
        self.subnet = f"10.{random.randint(64, 250)}.{random.randint(1, 250)}"
        self.redis_ip = f"{self.subnet}.1"
        self._root_link = f"{self.prefix}t"
        self._made: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []

    def create(self) -> None:
        _ip("netns", "add", self.redis_ns)
        self._made.append(self.redis_ns)
        self._exec(self.redis_ns, "link", "set", "lo", "up")
        self._exec(self.redis_ns, "link", "add", "br0", "type", "bridge")
        self._exec(self.redis_ns, "addr", "add", f"{self.redis_ip}/24", "dev", "br0")
        self._exec(self.redis_ns, "link", "set", "br0", "up")
        for number, namespace in enumerate(self.worker_ns, start=1):
            _ip("netns", "add", namespace)
            self._made.append(namespace)
            self._exec(namespace, "link", "set", "lo", "up")
            self._wire(namespace, f"{self.subnet}.{10 + number}", f"port{number}")
        self._wire(None, f"{self.subnet}.2", "port0")

    def _wire(self, namespace: str | None, address: str, port: str) -> None:
        """A veth from `namespace` (None: this one) to the bridge's `port`."""
        near, far = f"{self.prefix}{port[-1]}a", f"{self.prefix}{port[-1]}b"
        _ip("link", "add", near, "type", "veth", "peer", "name", far)
        _ip("link", "set", far, "netns", self.redis_ns)
        self._exec(self.redis_ns, "link", "set", far, "name", port)
        self._exec(self.redis_ns, "link", "set", port, "master", "br0", "up")
        if namespace is not None:
            _ip("link", "set", near, "netns", namespace)
        link = ["-n", namespace] if namespace else []
        _ip(*link, "addr", "add", f"{address}/24", "dev", near)
        _ip(*link, "link", "set", near, "up")
        if namespace is None:
            self._root_link = near

    def _exec(self, namespace: str, *args: str) -> None:
        _ip("-n", namespace, *args)

    def cut(self, number: int) -> None:
        """Take worker host `number`'s switch port down: its packets go nowhere."""
        self._exec(self.redis_ns, "link", "set", f"port{number}", "down")

    def heal(self, number: int) -> None:
        self._exec(self.redis_ns, "link", "set", f"port{number}", "up")

    def start(self, namespace: str, argv: list[str], log: Path, env: dict[str, str]) -> int:
        """Run `argv` inside `namespace` (killed by `remove`); return its pid."""
        with log.open("ab") as out:
            process = subprocess.Popen(
                ["ip", "netns", "exec", namespace, *argv],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process.pid

    def remove(self) -> None:
        """Kill what runs inside, delete every namespace and link made."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(10)
        for namespace in reversed(self._made):
            _quietly("netns", "del", namespace)
        _quietly("link", "del", self._root_link)  # normally gone with its peer's namespace
        self._made.clear()


def _quietly(*args: str) -> None:
    subprocess.run(["ip", *args], check=False, capture_output=True, timeout=20)
