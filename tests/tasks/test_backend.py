"""JobsBackend in the web process: validation, the payload and record it pushes, results."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from jobs.exceptions import EnqueueError
from jobs.redis import keys
from jobs.tasks import WRAPPER, JobsBackend
from jobs.tasks.compat import (
    InvalidTask,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_backends,
    task_enqueued,
)
from tests.tasks.conftest import queued, record
from tests.testapp.tasks import add, flaky, shout


def backend() -> JobsBackend:
    found = task_backends["default"]
    assert isinstance(found, JobsBackend)
    return found


def test_capability_flags_are_the_true_ones() -> None:
    assert JobsBackend.supports_defer is True
    assert JobsBackend.supports_async_task is True
    assert JobsBackend.supports_get_result is True
    assert JobsBackend.supports_priority is False


def test_priority_is_refused_with_a_way_out() -> None:
    with pytest.raises(InvalidTask, match=r"does not order tasks by priority.*queue_name="):
        add.using(priority=10)


@pytest.mark.parametrize("retry", [-1, "3", 1.5, True])
def test_a_bad_retry_is_refused(retry: Any) -> None:
    from tests.testapp.tasks import add as task

    with pytest.raises(InvalidTask, match="retry must be a whole number"):
        type(task)(func=task.func, retry=retry)


def test_a_queue_outside_the_backends_queues_is_refused() -> None:
    with pytest.raises(InvalidTask, match="'nowhere' is not valid"):
        add.using(queue_name="nowhere")


def test_django_checks_still_apply() -> None:
    with pytest.raises(InvalidTask, match="aware"):
        add.using(run_after=timezone.now().replace(tzinfo=None))


def test_enqueue_pushes_a_sidekiq_payload_naming_the_task(redis_client: redis.Redis) -> None:
    result = add.enqueue(2, 3, label="sum")

    (payload,) = queued(redis_client)
    assert payload["class"] == WRAPPER
    assert payload["display_class"] == "tests.testapp.tasks.add"
    assert payload["args"] == [[2, 3], {"label": "sum"}]
    assert payload["jid"] == result.id
    assert payload["queue"] == "default"
    assert payload["retry"] == 25  # OPTIONS["RETRY"]'s default
    assert redis_client.sismember("queues", "default")
    assert result.status == TaskResultStatus.READY
    assert result.enqueued_at is not None


def test_the_ready_record_is_written_with_the_push(redis_client: redis.Redis) -> None:
    result = shout.enqueue("hi")

    stored = record(redis_client, result.id)
    assert stored["task"] == "tests.testapp.tasks.shout"
    assert stored["status"] == "READY"
    assert stored["queue"] == "critical"
    assert json.loads(stored["args"]) == ["hi"]
    assert json.loads(stored["kwargs"]) == {}
    assert redis_client.ttl(keys.task_result(result.id)) > 0  # a lost task's record expires
    assert [p["jid"] for p in queued(redis_client, "critical")] == [result.id]


def test_get_result_reads_the_record(redis_client: redis.Redis) -> None:
    result = add.enqueue(1, 1)

    again = add.get_result(result.id)
    assert again.status == TaskResultStatus.READY
    assert again.args == [1, 1]
    assert again.kwargs == {}
    assert again.task.func is add.func
    assert again.worker_ids == []
    with pytest.raises(ValueError, match="not finished"):
        _ = again.return_value


def test_per_task_retry_goes_in_the_payload(redis_client: redis.Redis) -> None:
    flaky.enqueue(0)
    assert queued(redis_client)[0]["retry"] == 3


def test_run_after_goes_to_the_schedule_set(redis_client: redis.Redis) -> None:
    later = timezone.now() + timedelta(minutes=5)
    result = add.using(run_after=later).enqueue(1, 2)

    assert queued(redis_client) == []
    [(member, score)] = redis_client.zrange("schedule", 0, -1, withscores=True)
    assert json.loads(member)["jid"] == result.id
    assert abs(score - later.timestamp()) < 0.01
    assert "enqueued_at" not in json.loads(member)
    assert add.get_result(result.id).status == TaskResultStatus.READY


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((object(),), {}, "argument 0 is of type object"),
        ((), {"label": float("nan")}, "label="),
        ((2**60, 1), {}, "beyond 2"),
    ],
)
def test_arguments_must_be_json(
    redis_client: redis.Redis, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        add.enqueue(*args, **kwargs)
    assert queued(redis_client) == []


def test_unknown_or_expired_ids_do_not_exist(redis_client: redis.Redis) -> None:
    with pytest.raises(TaskResultDoesNotExist):
        add.get_result("0" * 24)
    with pytest.raises(TaskResultDoesNotExist):
        add.get_result("")
    result = add.enqueue(1, 2)
    redis_client.delete(keys.task_result(result.id))  # as its TTL would
    with pytest.raises(TaskResultDoesNotExist, match="unknown, or expired"):
        add.get_result(result.id)


def test_a_record_of_an_unregistered_task_is_not_imported(redis_client: redis.Redis) -> None:
    key = keys.task_result("a" * 24)
    redis_client.hset(key, mapping={"task": "tests.testapp.never_imported.boom"})
    with pytest.raises(TaskResultDoesNotExist, match="not registered"):
        backend().get_result("a" * 24)
    assert redis_client.llen("ledger:imported") == 0


@pytest.mark.django_db(transaction=True)
def test_enqueue_waits_for_the_commit(redis_client: redis.Redis) -> None:
    with transaction.atomic():
        result = add.enqueue(1, 2)
        assert queued(redis_client) == []
        assert result.enqueued_at is None
    assert [p["jid"] for p in queued(redis_client)] == [result.id]
    assert result.enqueued_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_enqueues_nothing(redis_client: redis.Redis) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        result = add.enqueue(1, 2)
        raise RuntimeError("roll back")
    assert queued(redis_client) == []
    assert not redis_client.exists(keys.task_result(result.id))
    with pytest.raises(TaskResultDoesNotExist):
        add.get_result(result.id)


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_can_be_turned_off(redis_client: redis.Redis) -> None:
    eager = type(add)(func=add.func, enqueue_on_commit=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        result = eager.enqueue(1, 2)
        raise RuntimeError("roll back")
    assert [p["jid"] for p in queued(redis_client)] == [result.id]


def test_task_enqueued_is_sent_after_the_push(redis_client: redis.Redis) -> None:
    seen: list[tuple[str, int]] = []

    def receiver(sender: type, task_result: Any, **kwargs: Any) -> None:
        seen.append((task_result.id, len(queued(redis_client))))

    task_enqueued.connect(receiver)
    try:
        result = add.enqueue(1, 2)
    finally:
        task_enqueued.disconnect(receiver)
    assert seen == [(result.id, 1)]


def test_redis_down_is_an_enqueue_error(settings: Any, redis_client: redis.Redis) -> None:
    from jobs.redis.connection import reset_clients

    settings.JOBS = {**settings.JOBS, "REDIS_URL": "redis://127.0.0.1:1/0"}
    reset_clients()
    try:
        with pytest.raises(
            EnqueueError, match=r"could not enqueue task tests\.testapp\.tasks\.add"
        ):
            add.enqueue(1, 2)
    finally:
        reset_clients()


def test_check_reports_bad_options_and_unread_queues() -> None:
    found = JobsBackend(
        "other", {"QUEUES": ["default", "ghost"], "OPTIONS": {"RETRY": -1, "COLOUR": 1}}
    ).check()
    ids = sorted(message.id for message in found)
    assert ids == ["jobs.E040", "jobs.E040", "jobs.W041"]
    text = " ".join(message.msg for message in found)
    assert "RETRY" in text
    assert "COLOUR" in text
    assert "'ghost'" in text
    assert backend().check() == []


def test_aenqueue_and_aget_result(redis_client: redis.Redis) -> None:
    async def enqueue_and_read() -> tuple[str, Any]:
        result = await add.aenqueue(3, 4)
        return result.id, await add.aget_result(result.id)

    # In a thread of its own: the suite's thread may hold a running loop (playwright's).
    with ThreadPoolExecutor(max_workers=1) as pool:
        jid, again = pool.submit(asyncio.run, enqueue_and_read()).result()
    assert again.id == jid
    assert again.status == TaskResultStatus.READY
    assert [p["jid"] for p in queued(redis_client)] == [jid]


def test_options_retry_zero_means_no_retry_in_the_payload() -> None:
    none = JobsBackend("none", {"QUEUES": [], "OPTIONS": {"RETRY": 0}})
    assert none.build_payload(add, [1, 2], {})["retry"] == 0
    assert none.build_payload(flaky, [1], {})["retry"] == 3  # the task's own retry= wins
