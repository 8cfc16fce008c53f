"""Tasks run by real `runworker` processes: results, retries, failures, crashes, signals."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.api.records import JobRecord
from jobs.redis import keys
from jobs.tasks import WRAPPER
from jobs.tasks.compat import TaskResult, TaskResultStatus, task_enqueued
from tests.conftest import WorkerFactory
from tests.helpers import Worker, payloads, run_manage, wait_for
from tests.tasks.conftest import make_retries_due, record
from tests.testapp.tasks import (
    add,
    broken_once,
    count_attempts,
    doomed,
    double_later,
    flaky,
    nap,
    returns_a_set,
    returns_big,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(start_worker: WorkerFactory) -> Worker:
    running = start_worker("-c", "4")
    running.wait_ready()
    return running


def finished(task: Any, jid: str, timeout: float = 20) -> TaskResult[Any, Any]:
    """Wait until the task's result is SUCCESSFUL or FAILED, and return it."""

    def result() -> TaskResult[Any, Any] | None:
        found: TaskResult[Any, Any] = task.get_result(jid)
        return found if found.is_finished else None

    return wait_for(result, timeout, f"task {jid} to finish", interval=0.05)


def test_a_task_runs_and_its_result_is_kept(redis_client: redis.Redis, worker: Worker) -> None:
    result = add.enqueue(2, 3, label="sum")

    done = finished(add, result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == {"sum": 5, "label": "sum"}
    assert done.attempts == 1
    assert done.errors == []
    assert done.worker_ids == [f"{socket.gethostname()}:{worker.pid}"]
    assert done.enqueued_at is not None
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.last_attempted_at == done.started_at
    assert done.enqueued_at <= done.started_at <= done.finished_at
    assert redis_client.lrange("ledger:task:add", 0, -1) == [b"sum"]
    ttl = redis_client.ttl(keys.task_result(result.id))
    assert 86_000 < ttl <= 86_400  # RESULT_TTL after finishing
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL


def test_the_result_is_read_from_another_process(redis_client: redis.Redis, worker: Worker) -> None:
    result = add.enqueue(20, 22)
    finished(add, result.id)

    code = (
        "from tests.testapp.tasks import add; "
        f"r = add.get_result({result.id!r}); print('RESULT', r.status, r.return_value['sum'])"
    )
    output = run_manage("shell", "-c", code, redis_url=worker.redis_url)
    assert "RESULT SUCCESSFUL 42" in output


def test_a_deferred_task_waits_for_its_time(redis_client: redis.Redis, worker: Worker) -> None:
    result = add.using(run_after=timezone.now() + timedelta(seconds=1.5)).enqueue(1, 1)

    assert add.get_result(result.id).status == TaskResultStatus.READY
    assert redis_client.zcard("schedule") == 1
    done = finished(add, result.id)
    assert done.return_value == {"sum": 2, "label": ""}
    assert done.started_at is not None
    assert done.started_at >= result.task.run_after  # type: ignore[operator]


def test_an_async_task_runs_in_the_worker(worker: Worker) -> None:
    result = double_later.enqueue(21)
    assert finished(double_later, result.id).return_value == 42


def test_a_failure_is_retried_then_successful(redis_client: redis.Redis, worker: Worker) -> None:
    result = flaky.enqueue(1)

    wait_for(lambda: redis_client.zcard("retry") == 1, 20, what="the first failure")
    between = flaky.get_result(result.id)
    assert between.status == TaskResultStatus.READY
    assert between.attempts == 1
    [error] = between.errors
    assert error.exception_class_path == "builtins.ValueError"
    assert "flaky failure 1 of 1" in error.traceback
    make_retries_due(redis_client)

    done = finished(flaky, result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == 2
    assert done.attempts == 2
    assert len(done.errors) == 1
    assert done.started_at is not None
    assert done.last_attempted_at is not None
    assert done.started_at < done.last_attempted_at


def test_no_retry_left_is_failed_with_the_error(redis_client: redis.Redis, worker: Worker) -> None:
    result = doomed.enqueue("it had to happen")

    done = finished(doomed, result.id)
    assert done.status == TaskResultStatus.FAILED
    [error] = done.errors
    assert error.exception_class_path == "builtins.LookupError"
    assert error.exception_class is LookupError
    assert "it had to happen" in error.traceback
    assert 'tasks.py", line' in error.traceback
    with pytest.raises(ValueError, match="failed"):
        _ = done.return_value
    [dead] = payloads(redis_client, "dead")
    assert dead["jid"] == result.id
    assert dead["display_class"] == "tests.testapp.tasks.doomed"
    assert redis_client.ttl(keys.task_result(result.id)) > 86_000


def test_a_return_value_that_is_not_json_fails(redis_client: redis.Redis, worker: Worker) -> None:
    result = returns_a_set.enqueue()

    done = finished(returns_a_set, result.id)
    assert done.status == TaskResultStatus.FAILED
    [error] = done.errors
    assert error.exception_class_path == "jobs.tasks.errors.TaskReturnError"
    assert "returned a set, which is not JSON" in error.traceback
    assert redis_client.zcard("dead") == 1
    assert redis_client.zcard("retry") == 0  # no retry can mend it


def test_a_return_value_over_the_cap_fails(redis_client: redis.Redis, worker: Worker) -> None:
    small, big = returns_big.enqueue(100), returns_big.enqueue(20_000)

    assert finished(returns_big, small.id).return_value == "x" * 100
    done = finished(returns_big, big.id)
    assert done.status == TaskResultStatus.FAILED
    assert "over the cap of OPTIONS['MAX_RETURN_BYTES'] = 10000" in done.errors[0].traceback
    assert "return_value" not in record(redis_client, big.id)


def test_a_long_traceback_is_cut_with_a_note(worker: Worker) -> None:
    result = doomed.enqueue("y" * 10_000)
    [error] = finished(doomed, result.id).errors
    assert error.traceback.startswith("[traceback cut: its first ")
    assert "MAX_TRACEBACK_CHARS'] = 4000" in error.traceback
    assert len(error.traceback) < 4_200
    assert error.traceback.rstrip().endswith("y" * 50)


def test_task_context_says_which_attempt(redis_client: redis.Redis, worker: Worker) -> None:
    result = count_attempts.enqueue(fail_first=True)
    wait_for(lambda: make_retries_due(redis_client), 20, what="the first failure")

    done = finished(count_attempts, result.id)
    assert done.return_value == 2
    assert redis_client.lrange("ledger:task:attempts", 0, -1) == [b"1", b"2"]


def test_the_three_signals_are_sent(redis_client: redis.Redis, start_worker: WorkerFactory) -> None:
    from tests.testapp.tasks import _on_enqueued

    start_worker("-c", "2", env={"JOBS_TEST_TASK_SIGNALS": "1"}).wait_ready()
    task_enqueued.connect(_on_enqueued)
    try:
        result = add.enqueue(1, 2)
    finally:
        task_enqueued.disconnect(_on_enqueued)
    finished(add, result.id)

    def sent() -> list[dict[str, Any]]:
        entries = [json.loads(e) for e in redis_client.lrange("ledger:task:signals", 0, -1)]
        return [e for e in entries if e["id"] == result.id]

    wait_for(lambda: len(sent()) == 3, 10, what="three signals")
    # `enqueued` comes from this process, after the push: the worker may start first.
    assert {e["signal"]: (e["status"], e["attempts"]) for e in sent()} == {
        "enqueued": ("READY", 0),
        "started": ("RUNNING", 1),
        "finished": ("SUCCESSFUL", 1),
    }
    in_worker = [e["signal"] for e in sent() if e["signal"] != "enqueued"]
    assert in_worker == ["started", "finished"]


def test_an_unknown_task_goes_to_dead_and_nothing_is_imported(
    redis_client: redis.Redis, worker: Worker
) -> None:
    jid = uuid.uuid4().hex[:24]
    payload = {
        "retry": 25,
        "queue": "default",
        "args": [[], {}],
        "class": WRAPPER,
        "jid": jid,
        "created_at": 1.0,
        "display_class": "tests.testapp.never_imported.boom",
    }
    redis_client.lpush("queue:default", json.dumps(payload))

    wait_for(lambda: redis_client.zcard("dead") == 1, 20, what="the dead entry")
    [dead] = payloads(redis_client, "dead")
    assert dead["jid"] == jid
    assert dead["error_class"] == "UnknownTask"
    assert "unknown task 'tests.testapp.never_imported.boom'" in dead["error_message"]
    assert redis_client.zcard("retry") == 0
    assert redis_client.llen("ledger:imported") == 0
    assert redis_client.llen("ledger:ran") == 0


def test_a_task_killed_with_its_worker_is_recovered_and_succeeds_once(
    redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    victim = start_worker("-c", "2")
    victim.wait_ready()
    result = nap.enqueue(30)
    wait_for(
        lambda: nap.get_result(result.id).status == TaskResultStatus.RUNNING, 15, what="RUNNING"
    )
    victim.kill()
    assert nap.get_result(result.id).status == TaskResultStatus.RUNNING  # until recovered
    [orphan] = list(redis_client.scan_iter("jobs:inprogress:*"))
    raw = redis_client.lindex(orphan, 0)
    assert raw is not None
    redis_client.lset(orphan, 0, raw.replace(b'"args":[[30],{}]', b'"args":[[0.01],{}]'))

    rescuer = start_worker("-c", "2")
    rescuer.wait_ready()
    done = finished(nap, result.id, 30)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == "rested"
    assert redis_client.lrange("ledger:task:finished", 0, -1) == [b"nap"]  # once
    host = socket.gethostname()
    assert done.worker_ids == [f"{host}:{victim.pid}", f"{host}:{rescuer.pid}"]
    assert done.errors == []
    assert rescuer.stop() == 0


def test_a_dead_task_retried_by_hand_ends_successful(
    staff_client: Client, redis_client: redis.Redis, worker: Worker
) -> None:
    result = broken_once.enqueue()
    assert finished(broken_once, result.id).status == TaskResultStatus.FAILED
    [(member, score)] = redis_client.zrange("dead", 0, -1, withscores=True)

    key = JobRecord(member, score).key
    response = staff_client.post(
        reverse("jobs:set_action", args=["dead"]), {"action": "enqueue", "key": key}
    )
    assert response.status_code == 302

    def mended() -> TaskResult[Any, Any] | None:
        found: TaskResult[Any, Any] = broken_once.get_result(result.id)
        return found if found.status == TaskResultStatus.SUCCESSFUL else None

    done = wait_for(mended, 20, "the retried task to succeed", interval=0.05)
    assert done.return_value == "mended"
    assert done.attempts == 2
    assert [e.exception_class_path for e in done.errors] == ["builtins.RuntimeError"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_runs_nothing(redis_client: redis.Redis, worker: Worker) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        rolled_back = add.enqueue(1, 1, label="rolled back")
        raise RuntimeError("roll back")
    with transaction.atomic():
        committed = add.enqueue(2, 2, label="committed")

    assert finished(add, committed.id).return_value == {"sum": 4, "label": "committed"}
    assert redis_client.lrange("ledger:task:add", 0, -1) == [b"committed"]
    assert not redis_client.exists(keys.task_result(rolled_back.id))


def test_a_second_backend_alias_keeps_its_own_options(
    redis_client: redis.Redis, worker: Worker
) -> None:
    result = add.using(backend="brief").enqueue(5, 5)
    assert result.backend == "brief"

    done = finished(add, result.id)
    assert done.backend == "brief"
    assert done.return_value == {"sum": 10, "label": ""}
    assert 0 < redis_client.ttl(keys.task_result(result.id)) <= 120
