"""Lock files (jobs/worker/lockfile.py) and the look at them at start (predecessors.py).

The kernel is the witness: a lock held through another open file description, here or
in a live (even stopped) process, is held; one whose process was killed is free.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from jobs.checks import check_state_dir
from jobs.redis import keys
from jobs.worker import lockfile, predecessors
from jobs.worker.lockfile import (
    Holder,
    OwnLock,
    StateDirError,
    boot_id,
    file_name,
    filesystem_type,
    prepare,
    redis_target,
    state_dir,
)
from jobs.worker.predecessors import RestartRecovery, Tally, recover_dead, scan, still_named
from tests.helpers import ROOT

URL = "redis://:secret@127.0.0.1:6379/3"
TARGET = "redis://127.0.0.1:6379/3"
NOW = 1_795_000_000.0


def identity(n: int) -> str:
    return f"web-7f9c:1:{n:012x}"


def me() -> Holder:
    return Holder(identity(0), TARGET, boot_id())


class Recorder:
    """The recover callable of `scan`: records whom it was asked to recover."""

    def __init__(self, fail: bool = False) -> None:
        self.owners: list[str] = []
        self.fail = fail

    def __call__(self, owner: str) -> tuple[int, int]:
        if self.fail:
            raise redis.ConnectionError("Redis went away")
        self.owners.append(owner)
        return 2, 0


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    prepare(path)
    return path


def dead_file(directory: Path, holder: Holder) -> Path:
    """The file a worker leaves when it dies: written and locked, then unlocked by its death."""
    lock = OwnLock.hold(directory, holder)
    lock.release(remove=False)
    return lock.path


# The Redis target and the file's content.


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (URL, TARGET),
        ("redis://jobs:other@127.0.0.1:6379/3", TARGET),
        ("rediss://127.0.0.1:6379?db=3", TARGET),
        ("redis://LOCALHOST", "redis://localhost:6379/0"),
        ("redis://[::1]:6380/1", "redis://[::1]:6380/1"),
        ("unix://:pw@/run/redis.sock?db=2", "unix:///run/redis.sock?db=2"),
        (
            "redis+sentinel://u:pw@h1:26379,h2:26379/main/0",
            "redis+sentinel://h1:26379,h2:26379/main/0",
        ),
    ],
)
def test_the_redis_target_is_server_and_database_without_credentials(url: str, target: str) -> None:
    assert redis_target(url) == target
    assert "pw" not in target
    assert "secret" not in target


def test_another_database_is_another_target() -> None:
    assert redis_target("redis://127.0.0.1:6379/3") != redis_target("redis://127.0.0.1:6379/4")


def test_a_holder_reads_back_what_it_wrote() -> None:
    holder = me()
    assert Holder.loads(holder.dumps(), file_name(holder.identity)) == holder
    assert file_name("web 1:2:abc/..") == "web_1_2_abc_...lock"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"\xff\xfe", "utf-8"),
        (b"{not json", "Expecting"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"identity": identity(1), "redis": TARGET}).encode(), "short strings"),
        (json.dumps({"identity": identity(1), "redis": 3, "boot_id": "b"}).encode(), "short"),
        (json.dumps({"identity": "x", "redis": TARGET, "boot_id": "b"}).encode(), "not a worker"),
        (
            json.dumps({"identity": identity(2), "redis": TARGET, "boot_id": "b"}).encode(),
            "another",
        ),
        (b" " * 5000, "more than"),
        (b"[" * 4000, "nested too deep"),
    ],
)
def test_content_that_is_not_ours_is_refused(raw: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        Holder.loads(raw, file_name(identity(1)))


# The directory.


def test_the_default_directory_is_per_user_under_the_temp_dir() -> None:
    assert state_dir(None).name == f"jobs-{os.getuid()}"
    assert state_dir("/run/jobs") == Path("/run/jobs")


def test_the_directory_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "state"
    prepare(path)
    assert path.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("kind", ["writable by others", "a symbolic link", "a file"])
def test_a_directory_others_could_write_to_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "state"
    if kind == "writable by others":
        path.mkdir()
        path.chmod(0o777)
    elif kind == "a symbolic link":
        (tmp_path / "real").mkdir(mode=0o700)
        path.symlink_to(tmp_path / "real")
    else:
        path.write_text("")
    with pytest.raises(OSError):
        prepare(path)


def fake_mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> Path:
    mounts = tmp_path / "mountinfo"
    mounts.write_text(
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        f"90 27 0:50 / {tmp_path}/shared\\040dir rw,relatime - {kind} srv:/export rw\n"
    )
    monkeypatch.setattr(lockfile, "MOUNTS", mounts)
    return tmp_path / "shared dir"


def test_a_directory_on_a_network_file_system_is_refused_and_warned_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = fake_mounts(tmp_path, monkeypatch, "nfs4")
    assert filesystem_type(shared / "jobs") == "nfs4"
    assert filesystem_type(tmp_path / "shared") == "ext4"
    with pytest.raises(StateDirError, match="network file system"):
        prepare(shared / "jobs")
    [warning] = check_state_dir(str(shared / "jobs"))
    assert warning.id == "jobs.W002"
    assert check_state_dir(str(tmp_path / "local")) == []


def test_a_local_file_system_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = fake_mounts(tmp_path, monkeypatch, "tmpfs")
    prepare(shared / "jobs")
    assert check_state_dir(str(shared / "jobs")) == []


# Our own lock file.


def test_our_file_appears_locked_with_its_content_and_goes_on_a_clean_exit(
    directory: Path,
) -> None:
    own = OwnLock.hold(directory, me())
    assert [p.name for p in directory.iterdir()] == [file_name(identity(0))]  # no draft left
    assert Holder.loads(own.path.read_bytes(), own.path.name) == me()
    with own.path.open("rb") as other, pytest.raises(BlockingIOError):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    own.release(remove=True)
    assert list(directory.iterdir()) == []
    own.release(remove=True)  # twice is harmless


def test_each_beat_keeps_the_file_fresh_for_cleaners_of_old_files(directory: Path) -> None:
    own = OwnLock.hold(directory, me())
    os.utime(own.path, (1_000_000, 1_000_000))  # as if written years ago
    own.touch()
    assert own.path.stat().st_mtime > NOW - 10 * 365 * 86400
    own.release(remove=True)
    own.touch()  # released: nothing to do


def test_an_unclean_exit_leaves_the_file_unlocked(directory: Path) -> None:
    path = dead_file(directory, me())
    with path.open("rb") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)


# Scanning the directory.


def test_a_dead_workers_file_of_our_redis_is_recovered_and_deleted(directory: Path) -> None:
    path = dead_file(directory, Holder(identity(1), TARGET, boot_id()))
    recover = Recorder()
    tally = scan(directory, me(), recover, set())
    assert recover.owners == [identity(1)]
    assert tally == Tally(dead=1, requeued=2)
    assert not path.exists()


def test_a_live_workers_file_is_left_alone_unread(directory: Path) -> None:
    live = OwnLock.hold(directory, Holder(identity(1), TARGET, boot_id()))
    recover = Recorder()
    assert scan(directory, me(), recover, set()) == Tally(alive=1)
    assert recover.owners == []
    assert live.path.exists()
    live.release(remove=True)


def test_our_own_file_is_not_looked_at(directory: Path) -> None:
    dead_file(directory, me())  # cannot happen (we hold ours), and still never ours to recover
    recover = Recorder()
    assert scan(directory, me(), recover, set()) == Tally()


@pytest.mark.parametrize(
    "holder",
    [
        Holder(identity(1), "redis://127.0.0.1:6379/4", boot_id()),
        Holder(identity(1), TARGET, "another-kernel"),
    ],
    ids=["another Redis database", "another kernel"],
)
def test_a_file_of_another_redis_or_kernel_is_left_as_it_is(
    directory: Path, holder: Holder
) -> None:
    path = dead_file(directory, holder)
    before = path.read_bytes()
    recover = Recorder()
    assert scan(directory, me(), recover, set()) == Tally(elsewhere=1)
    assert recover.owners == []
    assert path.read_bytes() == before


def test_a_garbage_file_is_ignored_and_logged_once(
    directory: Path, caplog: pytest.LogCaptureFixture
) -> None:
    garbage = directory / file_name(identity(1))
    garbage.write_bytes(b"\x00garbage")
    (directory / "notes.txt").write_text("not a lock file")
    reported: set[str] = set()
    recover = Recorder()
    with caplog.at_level(logging.WARNING, logger="jobs.worker"):
        assert scan(directory, me(), recover, reported) == Tally(unreadable=1)
        assert scan(directory, me(), recover, reported) == Tally(unreadable=1)
    assert recover.owners == []
    assert garbage.read_bytes() == b"\x00garbage"
    assert len([r for r in caplog.records if "not a worker's lock file" in r.message]) == 1


def test_a_symbolic_link_is_not_followed(
    directory: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = dead_file(tmp_path, Holder(identity(1), TARGET, boot_id()))
    (directory / target.name).symlink_to(target)
    recover = Recorder()
    with caplog.at_level(logging.WARNING, logger="jobs.worker"):
        assert scan(directory, me(), recover, set()) == Tally()
    assert recover.owners == []
    assert target.exists()
    assert "cannot open it" in caplog.text


def test_a_redis_error_keeps_the_file_for_the_next_try(directory: Path) -> None:
    path = dead_file(directory, Holder(identity(1), TARGET, boot_id()))
    with pytest.raises(redis.ConnectionError):
        scan(directory, me(), Recorder(fail=True), set())
    assert path.exists()
    recover = Recorder()
    assert scan(directory, me(), recover, set()).dead == 1
    assert recover.owners == [identity(1)]


def test_scanners_racing_for_a_dead_file_recover_it_once(directory: Path) -> None:
    for n in range(1, 21):
        dead_file(directory, Holder(identity(n), TARGET, boot_id()))
    recover = Recorder()
    barrier = threading.Barrier(4)

    def race(n: int) -> None:
        barrier.wait()
        scan(directory, Holder(identity(100 + n), TARGET, boot_id()), recover, set())

    threads = [threading.Thread(target=race, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(recover.owners) == [identity(n) for n in range(1, 21)]
    assert list(directory.iterdir()) == []


def test_a_file_deleted_by_the_recoverer_before_us_is_not_ours_any_more(directory: Path) -> None:
    path = dead_file(directory, Holder(identity(1), TARGET, boot_id()))
    fd = os.open(path, os.O_RDONLY)
    try:
        assert still_named(fd, path)
        path.unlink()  # the other recoverer, while it held the lock
        assert not still_named(fd, path)
        dead_file(directory, Holder(identity(1), TARGET, boot_id()))  # a new file, same name
        assert not still_named(fd, path)
    finally:
        os.close(fd)


# Real processes: the kernel keeps the lock of a live or stopped process, drops a killed one's.

HOLD = """
import sys, time
from pathlib import Path
from jobs.worker.lockfile import Holder, OwnLock
OwnLock.hold(Path(sys.argv[1]), Holder(sys.argv[2], sys.argv[3], sys.argv[4]))
print("held", flush=True)
time.sleep(120)
"""


def holder_process(directory: Path, holder: Holder) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", HOLD, str(directory), holder.identity, holder.redis]
    process = subprocess.Popen([*args, holder.boot_id], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline() == "held\n"
    return process


def test_a_stopped_process_keeps_its_lock_and_a_killed_one_loses_it(directory: Path) -> None:
    process = holder_process(directory, Holder(identity(1), TARGET, boot_id()))
    try:
        process.send_signal(signal.SIGSTOP)
        recover = Recorder()
        assert scan(directory, me(), recover, set()) == Tally(alive=1)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        assert scan(directory, me(), recover, set()) == Tally(dead=1, requeued=2)
        assert recover.owners == [identity(1)]
        assert list(directory.iterdir()) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


# With Redis.


def test_recover_dead_requeues_counted_and_drops_the_process_entries(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    owner = identity(1)
    job = json.dumps({"class": "X", "args": [], "jid": "j1", "queue": "low"}).encode()
    redis_client.lpush(keys.inprogress(owner), job)
    redis_client.sadd(keys.PROCESSES, owner)
    redis_client.sadd(keys.WORKERS, owner)
    redis_client.hset(owner, "beat", "1")
    redis_client.hset(keys.process_work(owner), "tid", "{}")
    assert recover_dead(app_redis, owner, NOW, 3) == (1, 0)
    # Counted as a death beside others (the poison-pill rule), back to its queue.
    assert json.loads(redis_client.lindex("queue:low", 0) or b"")["suspected"] == 1
    assert not redis_client.exists(keys.inprogress(owner), owner, keys.process_work(owner))
    assert not redis_client.sismember(keys.PROCESSES, owner)
    # The heartbeat-based recovery sweeps its list once more after its grace.
    assert redis_client.sismember(keys.WORKERS, owner)


def test_without_a_usable_directory_recovery_is_off_and_said_so(
    tmp_path: Path, app_redis: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "file").write_text("")
    restart = RestartRecovery(str(tmp_path / "file"), identity(0), URL)
    with caplog.at_level(logging.WARNING, logger="jobs.worker"):
        restart.hold()
    assert "restart recovery is off" in caplog.text
    assert restart.recover(app_redis, NOW, 3) == Tally()
    restart.release(remove=True)  # nothing to release: harmless


def test_an_io_error_in_the_directory_leaves_recovery_to_the_heartbeats(
    tmp_path: Path,
    app_redis: redis.Redis,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    restart = RestartRecovery(str(tmp_path / "state"), identity(0), URL)
    restart.hold()
    assert restart.own is not None
    dead_file(tmp_path / "state", Holder(identity(1), redis_target(URL), boot_id()))

    def broken(fd: int, path: Path) -> bool:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(predecessors, "still_named", broken)
    with caplog.at_level(logging.WARNING, logger="jobs.worker"):
        assert restart.recover(app_redis, NOW, 3) == Tally()
    assert "restart recovery stopped" in caplog.text
    restart.release(remove=True)
    assert [p.name for p in (tmp_path / "state").iterdir()] == [file_name(identity(1))]


def test_a_directory_or_a_fifo_named_like_a_lock_file_is_skipped(directory: Path) -> None:
    (directory / file_name(identity(1))).mkdir()
    os.mkfifo(directory / file_name(identity(2)))
    recover = Recorder()
    assert scan(directory, me(), recover, set()) == Tally()
    assert recover.owners == []
