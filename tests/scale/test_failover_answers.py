"""Sentinel URLs, READONLY answers and the durable push, each against a real server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.test.utils import override_settings

from jobs.client import push_payloads
from jobs.conf import problems
from jobs.exceptions import EnqueueError
from jobs.redis import keys
from jobs.redis.connection import make_client, mask_url
from jobs.redis.sentinel import FailoverError, SentinelURL, failover_answer, parse
from tests.helpers import PrivateRedis, free_port
from tests.testapp.jobs import RecordJob


def test_a_sentinel_url_names_every_sentinel_the_service_and_the_database() -> None:
    url = "redis+sentinel://app:s%40cret@10.0.0.1:26379,[::1]:26380,sentinel-3/jobs/4"
    assert parse(url + "?sentinel_password=pw") == SentinelURL(
        sentinels=[("10.0.0.1", 26379), ("::1", 26380), ("sentinel-3", 26379)],
        service="jobs",
        db=4,
        username="app",
        password="s@cret",
        sentinel_password="pw",
    )
    assert parse("redis+sentinel://h:1/mymaster").db == 0


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis+sentinel://h:1", "path must be /service"),
        ("redis+sentinel://h:1/jobs/x", "must be a number"),
        ("redis+sentinel://h:99999/jobs", "invalid sentinel port"),
        ("redis+sentinel://h:1,/jobs", "cannot read a sentinel address"),
        ("redis+sentinel://h:1/jobs?master=x", "unknown query parameter 'master'"),
    ],
)
def test_a_bad_sentinel_url_is_refused_saying_why(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse(url)
    [problem] = problems({"REDIS_URL": url})
    assert says in problem.message


def test_passwords_of_a_sentinel_url_are_masked() -> None:
    url = "redis+sentinel://app:secret@h:1,h:2/jobs/0?sentinel_password=other"
    shown = mask_url(url)
    assert "secret" not in shown
    assert "other" not in shown
    assert shown == "redis+sentinel://app:****@h:1,h:2/jobs/0?sentinel_password=****"


def test_failover_answers_are_told_from_other_errors() -> None:
    assert failover_answer(redis.exceptions.ReadOnlyError("You can't write"))
    assert failover_answer(redis.ResponseError("UNBLOCKED force unblock from blocking operation"))
    assert failover_answer(redis.ResponseError("NOREPLICAS Not enough good replicas to write."))
    assert not failover_answer(redis.ResponseError("WRONGTYPE Operation against a key"))
    assert not failover_answer(redis.ConnectionError("READONLY"))


def _connections(server: PrivateRedis) -> int:
    admin = server.client()
    try:
        info: dict[str, Any] = admin.info("stats")
        return int(info["total_connections_received"])
    finally:
        admin.close()


def test_a_replica_answering_readonly_is_reconnected_to_and_asked_once_more(
    tmp_path: Path, redis_url: str
) -> None:
    # A replica of a primary that is not there: every write is answered READONLY.
    server = PrivateRedis(tmp_path / "replica")
    server.start("--replicaof", "127.0.0.1", str(free_port()))
    client = make_client(server.admin_url)
    try:
        client.ping()
        before = _connections(server)
        with pytest.raises(FailoverError):
            client.lpush("queue:x", "1")
        # One new connection to ask once more, and the one that reads INFO here.
        assert _connections(server) - before == 1 + 1
        with override_settings(JOBS={**settings.JOBS, "REDIS_URL": server.admin_url}):
            before = _connections(server)
            with pytest.raises(EnqueueError, match="read only replica"):
                push_payloads([RecordJob.set().build([1], time.time())], client)
            # The lane's first connection, its one reconnection to ask again, and ours.
            assert _connections(server) - before == 1 + 1 + 1
    finally:
        client.close()
        server.stop()


def test_a_durable_push_no_replica_confirmed_raises_and_says_the_job_may_run(
    redis_client: redis.Redis, redis_url: str
) -> None:
    durable = {"replicas": 1, "timeout_ms": 20}
    with (
        override_settings(JOBS={**settings.JOBS, "DURABLE_PUSH": durable}),
        pytest.raises(EnqueueError, match=r"0 of 1 replica.*most likely run"),
    ):
        RecordJob.perform_async(7)
    # Honest about it: the primary has the job.
    assert redis_client.llen(keys.queue("default")) == 1


def test_a_durable_task_push_no_replica_confirmed_raises_too(
    redis_client: redis.Redis, redis_url: str
) -> None:
    from tests.testapp.tasks import add  # django.tasks' way in: jobs/tasks/store.py

    durable = {"replicas": 1, "timeout_ms": 20}
    with (
        override_settings(JOBS={**settings.JOBS, "DURABLE_PUSH": durable}),
        pytest.raises(EnqueueError, match=r"0 of 1 replica"),
    ):
        add.enqueue(2, 3)
    assert redis_client.llen(keys.queue("default")) == 1
