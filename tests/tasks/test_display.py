"""The dashboard shows a task by its own name, and its result on the job page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.api.records import JobRecord
from jobs.tasks.display import task_summary
from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.testapp.tasks import add, doomed


def page_of(client: redis.Redis, key: str) -> tuple[str, str]:
    """(slug of the set, key of its only member) for the job page's URL."""
    [(member, score)] = client.zrange(key, 0, -1, withscores=True)
    record = JobRecord(member, score)
    return {"schedule": "scheduled", "retry": "retries", "dead": "dead"}[key], record.key


def test_a_scheduled_task_is_listed_by_its_name_and_ready(
    staff_client: Client, redis_client: redis.Redis
) -> None:
    result = add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(4, 5)

    listing = staff_client.get(reverse("jobs:set", args=["scheduled"])).content.decode()
    assert "tests.testapp.tasks.add" in listing.replace("<wbr>", "")
    assert result.id in listing
    slug, key = page_of(redis_client, "schedule")
    page = staff_client.get(reverse("jobs:job", args=[slug, key])).content.decode()
    assert '<h1><span class="jobs-jobname" title="tests.testapp.tasks.add">' in page
    assert '<strong class="jobs-class">add</strong>' in page  # the task by its own name
    assert "Task result" in page
    assert 'data-task-status="READY"' in page


@pytest.mark.slow
def test_a_dead_tasks_page_shows_it_failed_and_why(
    staff_client: Client, redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    start_worker("-c", "2").wait_ready()
    doomed.enqueue("for the page")
    wait_for(lambda: redis_client.zcard("dead") == 1, 20, what="the dead entry")

    slug, key = page_of(redis_client, "dead")
    page = staff_client.get(reverse("jobs:job", args=[slug, key])).content.decode()
    assert 'data-task-status="FAILED"' in page
    assert "builtins.LookupError" in page
    assert "for the page" in page  # the arguments


def test_a_plain_job_has_no_task_summary(redis_client: redis.Redis) -> None:
    record = JobRecord(b'{"class":"x.Job","args":[],"jid":"abc","queue":"default"}')
    assert task_summary(redis_client, record) is None


def test_a_successful_result_is_previewed(redis_client: redis.Redis) -> None:
    result = add.enqueue(1, 2)
    key = f"jobs:task:{result.id}"
    redis_client.hset(
        key,
        mapping={"status": "SUCCESSFUL", "done": "1", "worker:1": "w", "return_value": "7" * 500},
    )
    [raw] = redis_client.lrange("queue:default", 0, -1)
    summary = task_summary(redis_client, JobRecord(raw))
    assert summary is not None
    assert summary.status == "SUCCESSFUL"
    assert summary.attempts == 1
    assert summary.return_preview.endswith("…")
    assert len(summary.return_preview) == 240
