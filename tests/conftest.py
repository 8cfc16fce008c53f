"""Shared fixtures: a private Redis database per test run, flushed before each test.

Several test runs may share one Redis server (developers, CI legs): each run takes
the first database number (1-15) whose lock file it can hold, so they never collide.
`bin/test` exports JOBS_TEST_REDIS (host and port, no database) when it had to start
its own server, or for a leg on Valkey (JOBS_TEST_ENGINE=valkey; the header names the
server and its version, and refuses a run whose server is not the engine asked for).

Least privilege: the application code of every test (the Django test process through
JOBS["REDIS_URL"], every worker and management command through $REDIS_URL) logs in as
the ACL user of tests/acl.py, allowed only the commands the project uses; `redis_url`
is that user's URL, and `app_redis` a client as that user, for tests that hand a client
to code of the `jobs` package. The fixtures keep the admin connection (`redis_admin_url`,
`redis_client`) for FLUSHDB, SCAN and the test's own setup and inspection. The pytest
header says which user the application code is; it is the admin only with
JOBS_TEST_ACL=0 or when the server refuses ACL SETUSER (Redis < 6.2, or an admin without
the right). At the end of the run, ACL LOG must hold no denial for that user on this
run's database.
"""

from __future__ import annotations

import fcntl
import functools
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import pytest
import redis
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from jobs.redis.connection import make_client, mask_url, reset_clients
from tests import acl
from tests.helpers import Worker, free_port

BASE_URL = os.environ.get("JOBS_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")
ROOT = Path(__file__).resolve().parent.parent


class WorkerFactory(Protocol):
    def __call__(
        self, *args: str, env: dict[str, str] | None = ..., settings: str = ...
    ) -> Worker: ...


def _lock_database() -> tuple[int, IO[str]]:
    for db in range(1, 16):
        path = (
            Path(tempfile.gettempdir()) / f"jobs-test-redis-{BASE_URL.rsplit(':', 1)[-1]}-{db}.lock"
        )
        handle = path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return db, handle
    raise RuntimeError("every Redis test database 1-15 is locked by another test run")


@dataclass(frozen=True)
class AppUser:
    """Who the application code is in this run: the ACL user, or the admin and why."""

    acl: bool
    why: str = ""


@functools.cache
def app_user() -> AppUser:
    """Create the least-privilege user on the test server (once per run; idempotent)."""
    if not acl.wanted():
        return AppUser(acl=False, why="JOBS_TEST_ACL=0")
    admin = redis.Redis.from_url(f"{BASE_URL}/0", socket_connect_timeout=2, socket_timeout=5)
    try:
        acl.create_user(admin)
    except (redis.RedisError, RuntimeError) as exc:
        return AppUser(acl=False, why=f"the server refused the ACL user: {exc}")
    finally:
        admin.close()
    return AppUser(acl=True)


@functools.cache
def server_engine() -> str:
    """Which server the run uses, e.g. "Redis 7.0.15" or "Valkey 8.1.8" (INFO server)."""
    admin = redis.Redis.from_url(f"{BASE_URL}/0", socket_connect_timeout=2, socket_timeout=5)
    try:
        info: dict[str, Any] = admin.info("server")
    except redis.RedisError as exc:
        return f"unknown ({exc})"
    finally:
        admin.close()
    if str(info.get("server_name", "")).lower() == "valkey":
        return f"Valkey {info.get('valkey_version', '?')}"
    return f"Redis {info.get('redis_version', '?')}"


def pytest_report_header(config: pytest.Config) -> list[str]:
    user = app_user()
    if user.acl:
        who = f"ACL user {acl.USER!r} allowed only the commands of tests/acl.py"
    else:
        who = f"the admin user, NOT least privilege ({user.why})"
    wanted = os.environ.get("JOBS_TEST_ENGINE", "")
    engine = server_engine()
    if wanted and not engine.lower().startswith(wanted.lower()):
        raise pytest.UsageError(f"JOBS_TEST_ENGINE={wanted} but {mask_url(BASE_URL)} is {engine}")
    return [f"redis: {mask_url(BASE_URL)} ({engine}); application code runs as {who}"]


# The database of this run once `redis_url` was used: the ACL LOG check looks at it.
_app_databases: list[int] = []


@pytest.fixture(scope="session")
def redis_admin_url() -> Iterator[str]:
    """URL of this run's private Redis database as the admin: FLUSHDB, SCAN, inspection."""
    db, handle = _lock_database()
    yield f"{BASE_URL}/{db}"
    handle.close()


@pytest.fixture(scope="session")
def redis_url(redis_admin_url: str) -> Iterator[str]:
    """URL of this run's database for application code: the least-privilege ACL user.

    Also put in the settings and the environment (worker and command subprocesses).
    """
    url = acl.user_url(redis_admin_url) if app_user().acl else redis_admin_url
    if app_user().acl:
        _app_databases.append(int(redis_admin_url.rsplit("/", 1)[1]))
    os.environ["REDIS_URL"] = url
    os.environ[acl.ADMIN_ENV] = redis_admin_url
    jobs_settings = {**getattr(settings, "JOBS", {}), "REDIS_URL": url}
    with override_settings(JOBS=jobs_settings):
        reset_clients()
        yield url
    reset_clients()


@pytest.fixture(scope="session", autouse=True)
def _no_acl_denials() -> Iterator[None]:
    """At the end of the run: the ACL user was refused nothing on this run's database."""
    began = time.monotonic()
    yield
    if not _app_databases:
        return
    admin = redis.Redis.from_url(f"{BASE_URL}/0")
    try:
        refused = acl.denials(admin, _app_databases[0], time.monotonic() - began + 1)
    finally:
        admin.close()
    summary = ", ".join(f"{e['object']} ({e['reason']}, {e['count']}x)" for e in refused)
    assert not refused, (
        f"ACL LOG: refused to {acl.USER!r}: {summary}. If the project needs a command, add it "
        f"to tests/acl.py and the README; else use an allowed one. Entries: {refused}"
    )


@pytest.fixture
def redis_client(redis_admin_url: str, redis_url: str) -> Iterator[redis.Redis]:
    """An admin client on the private database, flushed before the test starts."""
    client = redis.Redis.from_url(redis_admin_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def app_redis(redis_url: str, redis_client: redis.Redis) -> Iterator[redis.Redis]:
    """A client as the application code has it: the ACL user (`redis_url`), app timeouts.

    For tests that hand a client to code of the `jobs` package (sets, recurring store,
    dashboard API, Lua script wrappers, worker parts): that code then runs as the
    least-privilege user. The test's own setup and inspection stay on `redis_client`.
    The database is flushed first (through `redis_client`).
    """
    client = make_client(redis_url)
    yield client
    client.close()


@pytest.fixture
def redis_down(settings: Any, redis_url: str) -> Iterator[None]:
    """The app's JOBS["REDIS_URL"] points at a port where nothing listens."""
    settings.JOBS = {**settings.JOBS, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    reset_clients()
    yield
    reset_clients()


@pytest.fixture
def start_worker(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[WorkerFactory]:
    """Start real `runworker` processes; every one still running is killed at the end."""
    started: list[Worker] = []

    def start(
        *args: str, env: dict[str, str] | None = None, settings: str = "tests.settings"
    ) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = Worker(redis_url, log, list(args) or None, env, settings)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


@pytest.fixture
def staff_client(db: None, django_user_model: Any, redis_client: redis.Redis) -> Client:
    """Logged in to the dashboard as a staff user who may act (tests/dashboard has its own)."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("operator", password=None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_dashboard"))
    client = Client()
    client.force_login(user)
    return client
