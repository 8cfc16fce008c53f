"""A supervised fleet of real worker processes: kill one at random, start another.

Also the Redis-side checks every chaos test ends with: in-progress lists whose
owner is dead (orphans), and jobs left in live owners' lists once all is done.
"""

from __future__ import annotations

import json
import random
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis

from jobs.redis import keys
from tests.conftest import WorkerFactory
from tests.helpers import Worker

INPROGRESS = keys.inprogress("*")


@dataclass
class Member:
    worker: Worker
    identity: str | None = None

    @property
    def alive(self) -> bool:
        return self.worker.process.poll() is None


@dataclass(frozen=True)
class Kill:
    """One SIGKILL: when, whom, and the jids its in-progress list held afterwards."""

    at: float  # time.time() just before the signal
    identity: str
    orphans: list[str]


@dataclass
class Fleet:
    """`size` workers started with `args`; a dead one is replaced by a new one."""

    start_worker: WorkerFactory
    client: redis.Redis
    size: int
    args: Sequence[str]
    env: dict[str, str]
    members: list[Member] = field(default_factory=list)
    retired: list[Member] = field(default_factory=list)
    unexpected_exits: list[int] = field(default_factory=list)

    def start(self, timeout: float = 60.0) -> None:
        while len(self.members) < self.size:
            self._start_one()
        for member in self.members:
            member.identity = member.worker.wait_ready(timeout)

    def _start_one(self) -> None:
        self.members.append(Member(self.start_worker(*self.args, env=self.env)))

    def identify(self) -> None:
        """Learn the identity of members whose first heartbeat has landed since."""
        for member in self.members:
            if member.identity is None and member.alive:
                member.identity = member.worker.identity()

    def supervise(self) -> None:
        """Replace members that exited by themselves (each one is a finding)."""
        for member in list(self.members):
            if not member.alive:
                self.unexpected_exits.append(member.worker.process.returncode)
                self.members.remove(member)
                self.retired.append(member)
                self._start_one()

    def kill_random(self, rng: random.Random) -> Kill | None:
        """SIGKILL one announced member, note its orphans and start a replacement."""
        self.identify()
        candidates = [m for m in self.members if m.identity is not None and m.alive]
        if not candidates:
            return None
        victim = rng.choice(candidates)
        assert victim.identity is not None
        at = time.time()
        victim.worker.kill()
        orphans = [
            jid_of(raw) for raw in self.client.lrange(keys.inprogress(victim.identity), 0, -1)
        ]
        self.members.remove(victim)
        self.retired.append(victim)
        self._start_one()
        return Kill(at, victim.identity, orphans)

    def stop(self, timeout: float = 60.0) -> list[int]:
        """TERM every member at once; return their exit codes."""
        for member in self.members:
            if member.alive:
                member.worker.signal(signal.SIGTERM)
        return [member.worker.process.wait(timeout) for member in self.members]

    def logs(self) -> str:
        return "\n".join(m.worker.log() for m in [*self.retired, *self.members])


def jid_of(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["jid"])
    except (ValueError, KeyError, TypeError):
        return "(unreadable)"


def owner_of(key: bytes | str) -> str:
    text = key.decode() if isinstance(key, bytes) else key
    return text.removeprefix(keys.inprogress(""))


def orphan_lists(client: redis.Redis) -> list[str]:
    """In-progress lists whose owner's heartbeat hash is gone (a dead process)."""
    return [
        owner_of(key)
        for key in client.scan_iter(INPROGRESS)
        if client.llen(key) and not client.exists(owner_of(key))
    ]


def stranded(client: redis.Redis) -> int:
    """Jobs in the in-progress lists of live processes (0 once every job is done)."""
    return sum(
        int(client.llen(key))
        for key in client.scan_iter(INPROGRESS)
        if client.exists(owner_of(key))
    )
