"""A worker's lock file: the kernel's word that the worker is alive.

1. From start to exit each worker holds an exclusive `flock` on a file of its own
   in the state directory (JOBS["STATE_DIR"]). The kernel drops the lock when the
   process dies, however it dies (kill -9, the OOM killer, a crash), and never while
   it lives, even stopped (SIGSTOP) or hung; pid reuse and repeated hostnames cannot
   fake it. So a file another process can lock is a dead worker's.
2. The file says whose it was: the worker's identity, the Redis server and database
   it worked on (no credentials), and the boot id of the kernel that held the lock.
   We wrote it, but it is read as untrusted: size, shape and name are checked.
3. The file appears under its final name already locked (written under a temporary
   name, locked, then renamed), so no one ever finds it unlocked while its worker lives.
4. The directory must be a real directory of ours that no one else may write to:
   anyone who could write there could plant a file naming a live worker.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import socket
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex
from urllib.parse import urlsplit, urlunsplit

from redis.connection import parse_url

SUFFIX = ".lock"
MAX_SIZE = 4096  # a file is a few hundred bytes: anything longer is not ours
# What launcher.py writes: host, pid, 12 hex digits.
IDENTITY = re.compile(r"[^\s:/\\]{1,253}:[0-9]{1,10}:[0-9a-f]{12}")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
MOUNTS = Path("/proc/self/mountinfo")
# File systems shared over a network, where flock may be emulated, local-only or lost
# with a lease: a lock there is no proof that its holder lives.
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs",
     "lustre", "gpfs", "fuse.sshfs", "fuse.s3fs", "fuse.glusterfs", "fuse.ceph"}
)  # fmt: skip


class StateDirError(OSError):
    """The state directory cannot be used safely (wrong owner, writable by others...)."""


def state_dir(setting: str | None) -> Path:
    """The directory of JOBS["STATE_DIR"]; by default `<temp dir>/jobs-<uid>`."""
    if setting:
        return Path(setting)
    return Path(tempfile.gettempdir()) / f"jobs-{os.getuid()}"


def prepare(directory: Path) -> None:
    """Create `directory` (mode 0700) if needed; refuse one that others could write to."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode):
        raise StateDirError(errno.ENOTDIR, "not a directory (a symbolic link?)", str(directory))
    if info.st_uid != os.getuid():
        raise StateDirError(errno.EPERM, f"owned by uid {info.st_uid}, not us", str(directory))
    if info.st_mode & 0o022:
        raise StateDirError(errno.EPERM, "writable by other users", str(directory))
    kind = filesystem_type(directory)
    if kind in NETWORK_FILESYSTEMS:
        raise StateDirError(errno.ENOLCK, f"on a network file system ({kind})", str(directory))


def filesystem_type(path: Path) -> str | None:
    """The type of the file system `path` (or its nearest existing parent) is on (Linux)."""
    try:
        lines = MOUNTS.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    best, kind = "", None
    for line in lines:
        fields, _, after = line.partition(" - ")
        parts = fields.split()
        if len(parts) < 5 or not after:
            continue
        # Mount points escape blanks as octal (\040).
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):  # the last of equal mounts is on top
            best, kind = point, after.split()[0]
    return kind


def redis_target(url: str) -> str:
    """The Redis server and database of `url`, credentials left out: equal for equal targets."""
    try:
        parts = parse_url(url)  # type: ignore[no-untyped-call]  # untyped in redis-py
    except ValueError:  # a scheme redis-py does not parse: the URL without its credentials
        split = urlsplit(url)
        netloc = split.netloc.rpartition("@")[2]
        return urlunsplit((split.scheme, netloc, split.path, split.query, ""))
    db = int(parts.get("db") or 0)
    if "path" in parts:
        return f"unix://{parts['path']}?db={db}"
    host = str(parts.get("host") or "localhost").lower()
    host = f"[{host}]" if ":" in host else host
    return f"redis://{host}:{int(parts.get('port') or 6379)}/{db}"


def boot_id() -> str:
    """This kernel's boot id (Linux), else the hostname: who arbitrates our locks."""
    try:
        return BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return "host:" + socket.gethostname()


def file_name(identity: str) -> str:
    """The lock file's name for a worker identity (characters unsafe in a name replaced)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", identity) + SUFFIX


@dataclass(frozen=True)
class Holder:
    """What a lock file says: whose it is, which Redis, which kernel."""

    identity: str
    redis: str
    boot_id: str

    def dumps(self) -> bytes:
        data = {"identity": self.identity, "redis": self.redis, "boot_id": self.boot_id}
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def loads(cls, raw: bytes, name: str) -> Holder:
        """Read the content of lock file `name`; ValueError unless it is one we would write."""
        if len(raw) > MAX_SIZE:
            raise ValueError(f"{len(raw)} bytes, more than a lock file holds")
        try:
            data = json.loads(raw.decode("utf-8"))  # JSON and UTF-8 errors are ValueErrors
        except RecursionError as exc:  # "[[[[..." nested past the parser's limit
            raise ValueError("nested too deep") from exc
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        fields = [data.get(key) for key in ("identity", "redis", "boot_id")]
        if not all(isinstance(value, str) and 0 < len(value) <= 1024 for value in fields):
            raise ValueError("identity, redis and boot_id must be short strings")
        holder = cls(*(str(value) for value in fields))
        if not IDENTITY.fullmatch(holder.identity):
            raise ValueError(f"{holder.identity!r} is not a worker identity")
        if file_name(holder.identity) != name:
            raise ValueError(f"names {holder.identity!r}, whose file is another")
        return holder


class OwnLock:
    """This worker's lock file, locked until `release()` or the process's death."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd: int | None = fd

    @classmethod
    def hold(cls, directory: Path, holder: Holder) -> OwnLock:
        """Write, lock and publish our file. Raises OSError."""
        path = directory / file_name(holder.identity)
        # A dot name without the suffix: nobody scans it before it is locked.
        draft = directory / f".{path.name}.{token_hex(4)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(draft, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, holder.dumps())
            os.rename(draft, path)
        except OSError:
            os.close(fd)
            draft.unlink(missing_ok=True)
            raise
        return cls(path, fd)

    def touch(self) -> None:
        """Mark the file as in use, so a cleaner of old files in /tmp leaves it (each beat)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.utime(self.fd)

    def release(self, *, remove: bool) -> None:
        """Unlock; with `remove`, delete the file first (a clean exit: nothing to recover)."""
        if self.fd is None:
            return
        try:
            if remove:
                self.path.unlink(missing_ok=True)
        except OSError:
            pass  # left behind: our successor finds it unlocked and our list already empty
        finally:
            os.close(self.fd)  # closing the last descriptor releases the lock
            self.fd = None
