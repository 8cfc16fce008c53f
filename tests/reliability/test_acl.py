"""Least privilege: the worker, enqueueing and the dashboard work as an ACL user allowed
only the commands in tests/acl.py, and nothing else is used.

A private redis-server gets the user (tests.helpers.PrivateRedis); a worker (with a
recurring entry) runs jobs, scheduled jobs, a failing job that ends dead, and a job whose
worker is SIGKILLed and recovered by another; the test process enqueues and walks every
dashboard page as that user, then acts on sets, queues and processes through the
dashboard's API. The rest of the suite runs as the same user too (tests/conftest.py);
this test adds the proof by INFO commandstats on a server of its own.
ACL LOG must stay empty, INFO commandstats must show no command outside the list,
and CONFIG, FLUSHALL, KEYS, DEBUG and friends must be refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client
from django.urls import reverse

from jobs.api import Action, ProcessSet, Queue, SortedJobSet
from jobs.redis import keys
from jobs.redis.connection import get_redis, reset_clients
from tests import acl
from tests.conftest import WorkerFactory
from tests.helpers import PrivateRedis, wait_for
from tests.reliability.ledger import Ledger
from tests.reliability.report import Reporter
from tests.testapp.jobs import LedgerFailJob, LedgerJob

pytestmark = pytest.mark.slow

# What the test's own admin connection runs (its one INFO call is not yet counted when it reads).
HARNESS = {"config|resetstat", "acl|log"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateRedis]:
    private = PrivateRedis(tmp_path / "redis")
    private.start()
    yield private
    private.stop()


@pytest.fixture
def admin(server: PrivateRedis) -> Iterator[redis.Redis]:
    client = server.client()
    yield client
    client.close()


@pytest.fixture
def as_user(server: PrivateRedis, settings: Any) -> Iterator[str]:
    """Point this process's jobs settings at the server's ACL user; yield its URL."""
    if not server.acl:
        pytest.skip("no ACL user: JOBS_TEST_ACL=0 or redis-server older than 6.2")
    url = server.url
    settings.JOBS = {**settings.JOBS, "REDIS_URL": url}
    reset_clients()
    yield url
    reset_clients()


def used_commands(admin: redis.Redis) -> set[str]:
    stats = admin.info("commandstats")
    return {
        name.removeprefix("cmdstat_")
        for name, values in stats.items()
        if isinstance(values, dict) and int(values.get("calls", 0)) > 0
    }


def walk_dashboard(client: Client, dead_key: str) -> dict[str, int]:
    """GET every page of the dashboard; return url -> status."""
    urls = [
        reverse("jobs:index"),
        reverse("jobs:stats_json"),
        reverse("jobs:stats_json") + "?days=30",
        reverse("jobs:metrics"),
        reverse("jobs:busy"),
        reverse("jobs:queues"),
        reverse("jobs:queue", kwargs={"name": "low"}),
        reverse("jobs:recurring"),
        *(reverse("jobs:set", kwargs={"jobset": s}) for s in ("scheduled", "retries", "dead")),
        reverse("jobs:set", kwargs={"jobset": "dead"}) + "?q=fails",
        reverse("jobs:job", kwargs={"jobset": "dead", "key": dead_key}),
    ]
    return {url: client.get(url).status_code for url in urls}


@pytest.mark.django_db
def test_worker_enqueue_and_dashboard_need_only_the_listed_commands(
    as_user: str,
    admin: redis.Redis,
    start_worker: WorkerFactory,
    ledger: Ledger,
    admin_client: Client,
    figures: Reporter,
) -> None:
    admin.config_resetstat()
    admin.execute_command("ACL", "LOG", "RESET")
    env = {**ledger.env, "REDIS_URL": as_user}
    options = ("-c", "4", "-q", "critical", "-q", "default", "-v", "0")
    acl_settings = "tests.reliability.acl_settings"
    first = start_worker(*options, env=env, settings=acl_settings)

    # Enqueue as the user: now, later, one that fails into dead, one nobody reads.
    jids = LedgerJob.perform_bulk([[10]] * 40)
    LedgerJob.perform_in(1, 10, "scheduled")
    LedgerFailJob.perform_async("fail")
    LedgerJob.set(queue="low").perform_async(0, "never")
    LedgerJob.perform_in(3600, 0, "future")
    wait_for(lambda: not ledger.tally(jids).lost, 30, what="the jobs to run")
    wait_for(lambda: ledger.ended("scheduled") == 1, 30, what="the scheduled job")
    wait_for(lambda: ledger.ended("tick") >= 1, 30, what="a recurring tick")
    dead = SortedJobSet(get_redis(), keys.DEAD)
    wait_for(lambda: dead.size() == 1, 30, what="the failing job in dead")

    # kill -9 under a running job: a second worker recovers it after the TTL.
    LedgerJob.perform_async(3000, "slow")
    wait_for(lambda: any(t == "slow" for *_, t in ledger.events("start")), 30, what="slow start")
    first.kill()
    second = start_worker(*options, env=env, settings=acl_settings)
    wait_for(lambda: ledger.ended("slow") == 1, 30, what="the orphan to be recovered")

    # The dashboard, as the user: every page, then actions through its API.
    [record] = dead.range(0, 1, newest_first=True)
    statuses = walk_dashboard(admin_client, record.key)
    assert dead.apply_matching(Action.ENQUEUE, "fails", time.time()).done == 1
    wait_for(lambda: dead.size() == 1, 30, what="the failing job dead again")
    assert dead.apply(Action.DELETE, dead.range(0, 1, newest_first=True), time.time()) == 1
    assert Queue(get_redis(), "low").clear() == 1
    scheduled = SortedJobSet(get_redis(), keys.SCHEDULE)
    assert scheduled.apply(Action.DELETE, scheduled.range(0, 1, newest_first=False), 0) == 1
    processes = ProcessSet(get_redis())
    [identity] = processes.identities()
    assert processes.signal(identity, "quiet")
    assert processes.signal(identity, "stop")
    exit_code = second.process.wait(30)

    used = used_commands(admin) - HARNESS
    denied = admin.execute_command("ACL", "LOG")
    allowed = set(acl.COMMANDS) | set(acl.OPTIONAL)
    refused = 0
    user = redis.Redis.from_url(as_user)
    for command in acl.FORBIDDEN:
        # NOPERM; DEBUG may be refused even earlier (enable-debug-command no).
        with pytest.raises(redis.ResponseError, match=r"permission|not allowed"):
            user.execute_command(*command)
        refused += 1
    user.close()
    figures(
        "least privilege",
        commands_allowed=len(acl.COMMANDS),
        commands_used=len(used),
        used_not_listed=" ".join(sorted(used - allowed)) or "-",
        listed_not_used=" ".join(sorted(set(acl.COMMANDS) - used)) or "-",
        acl_denials=len(denied),
        forbidden_refused=f"{refused}/{len(acl.FORBIDDEN)}",
        pages_ok=sum(1 for s in statuses.values() if s == 200),
        pages=len(statuses),
        lost=ledger.tally(jids).lost,
    )
    assert denied == [], denied
    assert used <= allowed, used - allowed
    assert statuses == dict.fromkeys(statuses, 200)
    assert exit_code == 0, second.log()
