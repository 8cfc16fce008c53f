"""A Redis Sentinel setup of real processes for tests: a primary, replicas, three sentinels.

Debian's redis-server runs every part (a sentinel is `redis-server CONF --sentinel`;
it rewrites CONF, so CONF lives in the test's temporary directory). Everything
listens on 127.0.0.1 on spare ports, keeps nothing on disk, and is killed at the end.
Failover settings are fast (down after 1 s, quorum 2), as in a test, not production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.helpers import answers, free_port, redis_server_binary, wait_for

SERVICE = "jobs"
SENTINELS = 3

# The suites of tests/scale that start processes of their own (Debian's redis-server,
# whatever engine the leg tests) run on one leg of bin/test only: CI time.
ONE_LEG = pytest.mark.skipif(
    os.environ.get("JOBS_TEST_SCALE") == "0",
    reason="JOBS_TEST_SCALE=0: bin/test runs the process-heavy scale suites on leg 1 only",
)


class SentinelCluster:
    """Start, inspect and break a primary + replicas + sentinels on this machine."""

    def __init__(
        self,
        directory: Path,
        replicas: int = 2,
        password: str | None = None,
        sentinel_password: str | None = None,
    ) -> None:
        self.directory = directory
        self.password = password  # the data servers' (requirepass, masterauth)
        self.sentinel_password = sentinel_password  # the sentinels' own
        self.data_ports = [free_port() for _ in range(1 + replicas)]
        self.sentinel_ports = [free_port() for _ in range(SENTINELS)]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    def url(self, db: int = 0) -> str:
        """The application's REDIS_URL: every sentinel, the service and the database."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        login = f":{self.password}@" if self.password else ""
        query = f"?sentinel_password={self.sentinel_password}" if self.sentinel_password else ""
        return f"redis+sentinel://{login}{hosts}/{SERVICE}/{db}{query}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        primary, *replicas = self.data_ports
        auth = ["--requirepass", self.password, "--masterauth", self.password]
        auth = auth if self.password else []
        self._run(primary, auth)
        for port in replicas:
            self._run(port, [*auth, "--replicaof", "127.0.0.1", str(primary)])
        for port in self.sentinel_ports:
            conf = self.directory / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.directory}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {primary} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 5000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
                + (f"sentinel auth-pass {SERVICE} {self.password}\n" if self.password else "")
                + (
                    f"requirepass {self.sentinel_password}\n"
                    f"sentinel sentinel-pass {self.sentinel_password}\n"
                    if self.sentinel_password
                    else ""
                )
            )
            self._run(port, [], conf=conf)
        wait_for(self._settled, 30, "every sentinel to know every replica and sentinel")

    def _run(self, port: int, extra: list[str], conf: Path | None = None) -> None:
        command = [redis_server_binary(), *([str(conf)] if conf else [])]
        command += ["--port", str(port), "--bind", "127.0.0.1", "--save", "", *extra]
        if conf is None:
            command += ["--appendonly", "no", "--dir", str(self.directory)]
        else:
            command.append("--sentinel")
        log = (self.directory / f"{port}.log").open("ab")
        self.processes[port] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(lambda: self._ping(port), 10, f"redis-server on port {port}")

    def _password(self, port: int) -> str | None:
        return self.sentinel_password if port in self.sentinel_ports else self.password

    def _ping(self, port: int) -> bool:
        return answers(port, self._password(port))

    def _settled(self) -> bool:
        replicas = len(self.data_ports) - 1
        for port in self.sentinel_ports:
            client = self.sentinel(port)
            try:
                known = client.execute_command("SENTINEL", "REPLICAS", SERVICE)
                others = client.execute_command("SENTINEL", "SENTINELS", SERVICE)
            except redis.RedisError:
                return False
            finally:
                client.close()
            if len(known) < replicas or len(others) < SENTINELS - 1:
                return False
        return True

    def sentinel(self, port: int | None = None) -> redis.Redis:
        port = port or self.sentinel_ports[0]
        return redis.Redis(
            port=port, password=self.sentinel_password, socket_connect_timeout=0.5, socket_timeout=2
        )

    def primary_port(self) -> int | None:
        """The primary's port as the sentinels (a majority of them) name it now."""
        named: list[int] = []
        for port in self.sentinel_ports:
            client = self.sentinel(port)
            try:
                address = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
                named.append(int(address[1]))
            except (redis.RedisError, TypeError, IndexError):
                continue
            finally:
                client.close()
        best = max(set(named), key=named.count, default=None)
        return best if best is not None and named.count(best) >= 2 else None

    def role(self, port: int) -> str:
        """ "master" or "slave", as the server on `port` says; "" when it does not answer."""
        client = self.client(port, 0)
        try:
            return str(client.execute_command("ROLE")[0].decode())
        except (redis.RedisError, IndexError, AttributeError):
            return ""
        finally:
            client.close()

    def client(self, port: int, db: int) -> redis.Redis:
        """A plain (admin) client of one data server."""
        return redis.Redis(
            port=port, db=db, password=self.password, socket_connect_timeout=0.5, socket_timeout=5
        )

    def kill(self, port: int) -> float:
        """SIGKILL the server on `port`; return the time (time.time()) of the kill."""
        process = self.processes[port]
        at = time.time()
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        return at

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
