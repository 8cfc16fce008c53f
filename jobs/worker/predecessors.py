"""Restart recovery: at start, take back the jobs of workers that died on this host.

1. Each worker holds its lock file (lockfile.py) from start to exit, and deletes it
   on a clean exit; a worker that dies leaves it, unlocked by the kernel.
2. At start, after its first beat and before fetching, a worker tries to lock every
   other lock file of the state directory, without waiting. One still locked is a
   live worker's (busy, stopped or hung): left alone, unread.
3. One we lock is a dead worker's, once we know the name still holds that file (a
   worker that recovered it first deletes it) and it reads as ours. A file written
   under another kernel (another host sharing the directory, or before a reboot) or
   naming another Redis server or database is left alone: our kernel cannot vouch
   for it, or its jobs are not in our Redis.
4. The dead worker's in-progress list goes back to its queues at once, counted as a
   death for poison pills (recovery.py), its process entries go, and its file is
   deleted while we hold the lock; after a Redis error the file stays for the next try.
5. Workers starting together: the kernel gives each file to one of them, and the
   requeue script moves each job once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from jobs.redis import keys
from jobs.worker.lockfile import (
    MAX_SIZE,
    SUFFIX,
    Holder,
    OwnLock,
    boot_id,
    file_name,
    prepare,
    redis_target,
    state_dir,
)
from jobs.worker.recovery import requeue_list

logger = logging.getLogger("jobs.worker")

# Recover one dead worker's jobs by identity: (requeued, moved to dead). Raises RedisError.
Recover = Callable[[str], tuple[int, int]]


@dataclass
class Tally:
    """What one look at the state directory found, besides our own file."""

    dead: int = 0
    requeued: int = 0
    killed: int = 0
    alive: int = 0
    elsewhere: int = 0  # another Redis, another kernel
    unreadable: int = 0

    def seen(self) -> int:
        return self.dead + self.alive + self.elsewhere + self.unreadable


class RestartRecovery:
    """This worker's lock file, and the recovery of its dead predecessors' jobs at start."""

    def __init__(self, setting: str | None, identity: str, url: str) -> None:
        self.directory = state_dir(setting)
        self.me = Holder(identity, redis_target(url), boot_id())
        self.own: OwnLock | None = None
        self.reported: set[str] = set()  # each odd file is logged once

    def hold(self) -> None:
        """Take our lock file; without a usable directory, recovery waits for heartbeats."""
        try:
            prepare(self.directory)
            self.own = OwnLock.hold(self.directory, self.me)
        except OSError as exc:
            logger.warning(
                "restart recovery is off: state directory %s cannot be used (%s); the jobs "
                "of a worker that dies here wait for its heartbeat to expire",
                self.directory,
                exc,
            )

    def touch(self) -> None:
        """Each beat: a cleaner of old files in /tmp must not take our lock file away."""
        if self.own is not None:
            self.own.touch()

    def release(self, *, remove: bool) -> None:
        """At exit: `remove` when our in-progress list is gone from Redis (a clean stop)."""
        if self.own is not None:
            self.own.release(remove=remove)

    def recover(self, client: redis.Redis, now: float, max_recoveries: int) -> Tally:
        """Recover every dead predecessor's jobs now. Raises RedisError (retry later)."""
        if self.own is None:
            return Tally()

        def recover(owner: str) -> tuple[int, int]:
            return recover_dead(client, owner, now, max_recoveries)

        try:
            tally = scan(self.directory, self.me, recover, self.reported)
        except OSError as exc:  # the directory went away or broke: the heartbeats remain
            logger.warning("restart recovery stopped: %s; the heartbeats will do", exc)
            return Tally()
        if tally.seen():
            logger.info(
                "state directory %s: %d dead worker(s) taken over, %d live, "
                "%d of another Redis or host, %d unreadable",
                self.directory,
                tally.dead,
                tally.alive,
                tally.elsewhere,
                tally.unreadable,
            )
        return tally


def recover_dead(
    client: redis.Redis, owner: str, now: float, max_recoveries: int
) -> tuple[int, int]:
    """Requeue a dead worker's in-progress list; drop its process entries. Raises RedisError.

    It stays in the set of list owners: the heartbeat-based recovery then sweeps its list
    once more after its grace, in case Redis ran a fetch of the dead connection late.
    """
    inprogress = keys.inprogress(owner)
    requeued, killed = requeue_list(
        client, inprogress, now, died=True, max_recoveries=max_recoveries
    )
    pipe = client.pipeline(transaction=True)
    pipe.srem(keys.PROCESSES, owner)
    pipe.delete(owner, keys.process_work(owner), keys.process_workers(owner))
    pipe.execute()
    if requeued or killed:
        logger.warning(
            "recovered %d job(s) at start from %s, a worker that died on this host "
            "(%d poison pill(s) moved to dead)",
            requeued,
            owner,
            killed,
        )
    return requeued, killed


def scan(directory: Path, me: Holder, recover: Recover, reported: set[str]) -> Tally:
    """Look at every lock file in `directory` but ours; recover the dead workers' jobs."""
    tally = Tally()
    own = file_name(me.identity)
    for path in sorted(directory.glob("*" + SUFFIX)):
        if path.name != own:
            examine(path, me, recover, tally, reported)
    return tally


def examine(path: Path, me: Holder, recover: Recover, tally: Tally, reported: set[str]) -> None:
    """One lock file: left alone unless we can lock it and it is a dead worker's of our Redis."""
    fd = open_regular(path, reported)
    if fd is None:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            tally.alive += 1
            return
        except OSError as exc:  # no flock here (some network file systems): cannot tell
            _once(reported, path, "cannot lock %s (%s): left alone", path, exc)
            tally.unreadable += 1
            return
        if not still_named(fd, path):
            return  # recovered and deleted by another worker meanwhile
        try:
            holder = Holder.loads(os.read(fd, MAX_SIZE + 1), path.name)
        except ValueError as exc:
            _once(reported, path, "ignoring %s: not a worker's lock file (%s)", path, exc)
            tally.unreadable += 1
            return
        if holder.boot_id != me.boot_id or holder.redis != me.redis:
            tally.elsewhere += 1  # its own Redis's workers, or its own kernel, may vouch for it
            return
        requeued, killed = recover(holder.identity)
        path.unlink(missing_ok=True)  # still locked: no one else is acting on it
        tally.dead += 1
        tally.requeued += requeued
        tally.killed += killed
    finally:
        os.close(fd)


def open_regular(path: Path, reported: set[str]) -> int | None:
    """A descriptor on `path` if it is a regular file of ours (no link followed), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None  # deleted by its worker or a recoverer since we listed it
    except OSError as exc:
        _once(reported, path, "ignoring %s: cannot open it (%s)", path, exc)
        return None
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid():
        return fd
    os.close(fd)
    _once(reported, path, "ignoring %s: not a regular file of ours", path)
    return None


def still_named(fd: int, path: Path) -> bool:
    """Whether `path` is still the file open on `fd` (not deleted, nor replaced)."""
    try:
        named = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino)


def _once(reported: set[str], path: Path, message: str, *args: object) -> None:
    if str(path) not in reported:
        reported.add(str(path))
        logger.warning(message, *args)
