"""Our worker processes and their jobs, as Sidekiq's own API and Web UI (6.4) see them."""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta

import pytest
import redis

from jobs.registry import job_name
from tests.conftest import WorkerFactory
from tests.helpers import Worker, wait_for
from tests.interop.sidekiq_ruby import RubyClient, WebUI
from tests.testapp.jobs import InteropFailJob, InteropHoldJob, RecordJob

pytestmark = pytest.mark.slow


def hold_a_job(client: redis.Redis, worker: Worker, identity: str) -> str:
    """Start an InteropHoldJob and wait until a heartbeat lists it as running."""
    jid = InteropHoldJob.perform_async("held")
    wait_for(lambda: client.lrange("ledger:held", 0, -1) == [jid.encode()], 20, what="the run")
    wait_for(lambda: client.hlen(f"{identity}:workers") == 1, 10, what="the next heartbeat")
    return jid


def test_sidekiqs_api_sees_our_process_and_its_running_job(
    ruby: RubyClient, redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "3", "-q", "critical", "-q", "default", "--tag", "django")
    identity = worker.wait_ready()
    jid = hold_a_job(redis_client, worker, identity)

    state = ruby.state()
    (process,) = state["processes"]
    assert process["identity"] == identity
    assert process["hostname"] == socket.gethostname()
    assert process["pid"] == worker.pid
    assert process["tag"] == "django"
    assert process["concurrency"] == 3
    assert process["queues"] == ["critical", "default"]
    assert process["busy"] == 1
    assert process["stopping"] is False
    assert abs(process["beat"] - time.time()) < 30
    (work,) = state["workers"]
    assert work["identity"] == identity
    assert work["queue"] == "default"
    assert abs(work["run_at"] - time.time()) < 60
    assert work["job"]["jid"] == jid
    assert work["job"]["class"] == job_name(InteropHoldJob)
    assert work["job"]["args"] == ["held"]

    # The Web UI's Quiet and Stop buttons (Sidekiq::Process#quiet!, #stop!) reach our worker.
    assert ruby.signal(identity, "quiet") is True
    wait_for(lambda: redis_client.hget(identity, "quiet") == b"true", 10, what="quiet")
    assert ruby.state()["processes"][0]["stopping"] is True
    redis_client.rpush("ledger:release", "go")
    assert ruby.signal(identity, "stop") is True
    assert worker.process.wait(30) == 0
    assert ruby.state()["processes"] == []


def test_sidekiqs_web_ui_shows_our_process_jobs_and_failures(
    web_ui: WebUI, redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    worker = start_worker("-c", "2", "--tag", "django")
    identity = worker.wait_ready()
    failed = InteropFailJob.perform_async("boom for the web ui <b>")  # traceback by default
    waiting = RecordJob.set(queue="parked").perform_async("not read by anyone")
    wait_for(lambda: redis_client.zcard("retry") == 1, 20, what="the retry entry")
    held = hold_a_job(redis_client, worker, identity)

    status, busy = web_ui.get("/busy")
    assert status == 200
    assert "rack.session" in web_ui.session_cookies()
    assert f"{socket.gethostname()}:{worker.pid}" in busy
    assert identity in busy
    assert held in busy
    assert "InteropHoldJob" in busy
    assert "django" in busy

    status, queue = web_ui.get("/queues/parked")
    assert status == 200
    assert waiting in queue
    assert "RecordJob" in queue

    status, retries = web_ui.get("/retries")
    assert status == 200
    assert "boom for the web ui" in retries
    match = re.search(rf'href="/retries/([0-9.]+-{failed})"', retries)
    assert match, "no link to the retry entry"
    status, detail = web_ui.get(f"/retries/{match[1]}")
    assert status == 200
    assert "ValueError" in detail
    assert "tests/testapp/jobs.py" in detail  # our error_backtrace, inflated by Ruby
    assert "Traceback (most recent call last):<br/>" in detail  # each line on its own
    assert "raise ValueError(message)" in detail  # the source line of the frame
    assert "boom for the web ui &lt;b&gt;" in detail  # the message, escaped by Sidekiq...
    assert "web ui <b>" not in detail  # ...and kept out of the unescaped backtrace

    redis_client.rpush("ledger:release", "go")
    assert worker.stop() == 0


def test_sidekiqs_web_ui_shows_a_django_task_by_its_own_name(
    web_ui: WebUI, redis_client: redis.Redis, start_worker: WorkerFactory
) -> None:
    from django.utils import timezone

    from jobs.tasks import WRAPPER
    from tests.testapp.tasks import add, doomed

    later = add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(4, 5, label="web")
    start_worker("-c", "2").wait_ready()
    failed = doomed.enqueue("shown in the morgue")
    wait_for(lambda: redis_client.zcard("dead") == 1, 20, what="the dead task")

    status, scheduled = web_ui.get("/scheduled")
    assert status == 200
    assert later.id in scheduled
    assert "tests.testapp.tasks.add" in scheduled
    assert WRAPPER not in scheduled
    assert "web" in scheduled  # the kwargs, shown with the args

    status, morgue = web_ui.get("/morgue")
    assert status == 200
    assert failed.id in morgue
    assert "tests.testapp.tasks.doomed" in morgue
    assert "shown in the morgue" in morgue
