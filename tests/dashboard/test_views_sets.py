"""Scheduled, Retries and Dead pages, job detail, and every action, checked in Redis."""

from __future__ import annotations

import json
import re
import time

import pytest
import redis
from django.test import Client

from jobs.api import SortedJobSet
from jobs.registry import job_name
from tests.dashboard.seed import add, failed, job
from tests.dashboard.test_api_redact import SignInJob

ACTION = "/admin/jobs/actions/{}/"


def keys_of(client: redis.Redis, key: str) -> list[str]:
    """The keys of the jobs in `key`, read with the dashboard's API (give it `app_redis`)."""
    return [rec.key for rec in SortedJobSet(client, key).page(0, 1000, False).records]


@pytest.mark.parametrize(
    ("slug", "key"), [("scheduled", "schedule"), ("retries", "retry"), ("dead", "dead")]
)
def test_list_page_shows_jobs_and_counts(
    staff_client: Client, r: redis.Redis, slug: str, key: str
) -> None:
    add(
        r,
        key,
        failed(**{"class": "myapp.jobs.ReportJob", "args": [{"user": 42}]}),
        time.time() + 30,
    )
    response = staff_client.get(f"/admin/jobs/{slug}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        '<span class="jobs-module">myapp.jobs.</span><strong class="jobs-class">ReportJob' in body
    )
    assert "{&quot;user&quot;: 42}" in body
    assert 'data-stat="retries"' in body  # live counts in the navigation


@pytest.mark.parametrize("slug", ["scheduled", "retries", "dead"])
def test_empty_state_says_what_to_do(staff_client: Client, r: redis.Redis, slug: str) -> None:
    body = staff_client.get(f"/admin/jobs/{slug}/").content.decode()
    assert 'class="jobs-empty"' in body


def test_paging_and_clamping(staff_client: Client, r: redis.Redis) -> None:
    for i in range(60):
        add(r, "retry", failed(args=[f"arg-{i:02d}"]), i)
    page2 = staff_client.get("/admin/jobs/retries/?page=2&per_page=25").content.decode()
    assert "arg-25" in page2
    assert "arg-24" not in page2
    assert "arg-50" not in page2
    huge = staff_client.get("/admin/jobs/retries/?per_page=999999999&page=-5")
    assert huge.status_code == 200
    assert "arg-59" in huge.content.decode()  # clamped to 500 per page, page 1
    nonsense = staff_client.get("/admin/jobs/retries/?per_page=abc&page=1e9&order=sideways")
    assert nonsense.status_code == 200
    beyond = staff_client.get("/admin/jobs/retries/?page=99").content.decode()
    assert "There is no page 99" in beyond


def test_search(staff_client: Client, r: redis.Redis) -> None:
    add(r, "dead", failed(error_message="SMTP timeout"), 1)
    add(r, "dead", failed(error_message="KeyError"), 2)
    body = staff_client.get("/admin/jobs/dead/?q=smtp").content.decode()
    assert "SMTP timeout" in body
    assert "KeyError" not in body
    assert "1 job matches" in body


def test_detail_page(staff_client: Client, r: redis.Redis, app_redis: redis.Redis) -> None:
    add(r, "retry", failed(args=[{"password": "hunter2", "to": "bob"}], error_message="it broke",
                           error_backtrace=["a.py:1", "b.py:2"], retry_count=3), 100.25)  # fmt: skip
    (key,) = keys_of(app_redis, "retry")
    response = staff_client.get(f"/admin/jobs/retries/{key}")
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "it broke",
        "a.py:1",
        "b.py:2",
        "bob",
        "[redacted]",
        'title="1970-01-01 00:01:40 UTC"',
    ):
        assert text in body, text
    assert "hunter2" not in body


def test_detail_of_a_vanished_job_is_a_friendly_404(staff_client: Client, r: redis.Redis) -> None:
    response = staff_client.get("/admin/jobs/dead/1.0-abcdef")
    assert response.status_code == 404
    assert "no longer in Dead" in response.content.decode()


def test_retry_one_job_moves_it_to_its_queue(
    staff_client: Client, r: redis.Redis, app_redis: redis.Redis
) -> None:
    add(r, "retry", failed(queue="mailers"), 5)
    (key,) = keys_of(app_redis, "retry")
    response = staff_client.post(
        ACTION.format("retries"), {"action": "enqueue", "key": key}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/admin/jobs/retries/"
    assert "1 job sent to its queue." in response.content.decode()
    assert r.zcard("retry") == 0
    assert r.llen("queue:mailers") == 1


def test_selected_actions(staff_client: Client, r: redis.Redis, app_redis: redis.Redis) -> None:
    for i in range(5):
        add(r, "schedule", job(args=[i]), time.time() + 100 + i)
    k = keys_of(app_redis, "schedule")
    staff_client.post(ACTION.format("scheduled"), {"action": "delete", "key": k[:2]})
    assert r.zcard("schedule") == 3
    staff_client.post(ACTION.format("scheduled"), {"action": "kill", "key": k[2:4]})
    assert r.zcard("schedule") == 1
    assert r.zcard("dead") == 2
    staff_client.post(ACTION.format("scheduled"), {"action": "enqueue", "key": k[4:]})
    assert r.zcard("schedule") == 0
    assert r.llen("queue:default") == 1
    assert json.loads(r.lindex("queue:default", 0))["args"] == [4]


def test_all_matching_actions(staff_client: Client, r: redis.Redis) -> None:
    for i in range(30):
        add(r, "dead", failed(error_class="Timeout" if i % 3 == 0 else "KeyError"), i)
    response = staff_client.post(
        ACTION.format("dead"), {"action": "enqueue", "scope": "all", "q": "timeout"}, follow=True
    )
    assert "10 jobs sent to their queues." in response.content.decode()
    assert r.zcard("dead") == 20
    assert r.llen("queue:default") == 10
    staff_client.post(ACTION.format("dead"), {"action": "delete", "scope": "all", "q": ""})
    assert r.zcard("dead") == 0


def test_kill_is_refused_on_dead(
    staff_client: Client, r: redis.Redis, app_redis: redis.Redis
) -> None:
    add(r, "dead", failed(), 1)
    response = staff_client.post(
        ACTION.format("dead"), {"action": "kill", "key": keys_of(app_redis, "dead")}, follow=True
    )
    assert "cannot be killed again" in response.content.decode()
    assert r.zcard("dead") == 1


def test_unknown_action_and_nothing_selected(staff_client: Client, r: redis.Redis) -> None:
    add(r, "retry", failed(), 1)
    bad = staff_client.post(ACTION.format("retries"), {"action": "explode"}, follow=True)
    assert "Unknown action" in bad.content.decode()
    none = staff_client.post(ACTION.format("retries"), {"action": "delete"}, follow=True)
    assert "Nothing changed" in none.content.decode()
    assert r.zcard("retry") == 1


def test_next_is_followed_only_inside_the_dashboard(staff_client: Client, r: redis.Redis) -> None:
    data = {"action": "delete", "key": "1.0-x"}
    inside = staff_client.post(
        ACTION.format("retries"), {**data, "next": "/admin/jobs/retries/?page=2&q=x"}
    )
    assert inside["Location"] == "/admin/jobs/retries/?page=2&q=x"
    for evil in (
        "https://evil.example/",
        "//evil.example/admin/jobs/",
        "/admin/",
        "javascript:alert(1)",
    ):
        outside = staff_client.post(ACTION.format("retries"), {**data, "next": evil})
        assert outside["Location"] == "/admin/jobs/retries/", evil


def test_actions_need_csrf(staff, r: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    add(r, "retry", failed(), 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(ACTION.format("retries"), {"action": "delete", "scope": "all"})
    assert response.status_code == 403
    assert r.zcard("retry") == 1
    page = client.get("/admin/jobs/retries/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_ruby_sidekiq_jobs_show_up(
    staff_client: Client, r: redis.Redis, app_redis: redis.Redis
) -> None:
    ruby = (
        '{"retry":true,"queue":"default","args":[7],"class":"FailJob","jid":"da2d90dc63b6d658d0de94ff",'
        '"created_at":1795374454.01756,"enqueued_at":1795374454.017645,"error_message":"boom 7",'
        '"error_class":"ArgumentError","failed_at":1795374454.0184832,"retry_count":0}'
    )
    r.zadd("retry", {ruby: 1795374469.018523})
    sidekiq8 = json.dumps(
        failed(**{"class": "RustJob", "created_at": 1795374454017, "failed_at": 1795374454017})
    )
    r.zadd("retry", {sidekiq8: 1795374470.5})
    body = staff_client.get("/admin/jobs/retries/").content.decode()
    assert "FailJob" in body
    assert "ArgumentError" in body
    assert "RustJob" in body
    detail = staff_client.get(
        "/admin/jobs/retries/1795374469.018523-da2d90dc63b6d658d0de94ff"
    ).content.decode()
    assert "2026-11-" in detail  # float seconds shown as a real date
    key = next(k for k in keys_of(app_redis, "retry") if k.startswith("1795374470.5-"))
    assert (
        "2026-11-" in staff_client.get(f"/admin/jobs/retries/{key}").content.decode()
    )  # integer ms too


def test_positional_secret_of_a_registered_job_is_redacted_on_list_and_job_pages(
    staff_client: Client, r: redis.Redis
) -> None:
    add(
        r,
        "retry",
        failed(**{"class": job_name(SignInJob), "args": ["ann", "tok-SECRET"]}),
        time.time() + 60,
    )
    body = staff_client.get("/admin/jobs/retries/").content.decode()
    assert "[redacted]" in body
    assert "tok-SECRET" not in body
    link = re.search(r'href="(/admin/jobs/retries/[0-9][^"]+)"', body)
    assert link is not None
    detail = staff_client.get(link.group(1)).content.decode()
    assert "Full payload" in detail
    assert "tok-SECRET" not in detail
