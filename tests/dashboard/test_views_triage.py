"""The grouped Retries and Dead pages and their group actions, checked in Redis."""

from __future__ import annotations

import json
import time

import redis
from django.test import Client

from jobs.api import triage
from tests.dashboard.seed import failed


def seed(r: redis.Redis, key: str, count: int, error_class: str, message: str) -> None:
    now = time.time()
    pipe = r.pipeline(transaction=False)
    for i in range(count):
        payload = failed(
            error_class=error_class, error_message=message.format(i=i), failed_at=now - i
        )
        pipe.zadd(key, {json.dumps(payload): now - i})
    pipe.execute()


def test_the_page_shows_groups_and_the_bound(
    staff_client: Client, r: redis.Redis, monkeypatch: object
) -> None:
    seed(r, "retry", 30, "TimeoutError", "read timed out after {i} s")
    seed(r, "retry", 5, "<b>Bad</b>", "to <script>x</script> {i}@evil.example")
    body = staff_client.get("/admin/jobs/retries/groups/").content.decode()
    assert "Grouped all 35 jobs." in body
    assert "read timed out after &lt;n&gt; s" in body
    assert "&lt;b&gt;Bad&lt;/b&gt;" in body
    assert "<script>x" not in body
    assert body.count('name="group"') == 2
    assert 'value="kill"' in body
    assert (
        'href="/admin/jobs/retries/groups/"'
        in staff_client.get("/admin/jobs/retries/").content.decode()
    )


def test_a_set_of_100000_is_answered_in_bounded_work(staff_client: Client, r: redis.Redis) -> None:
    seed(r, "dead", 100_000, "KeyError", "'user-{i}'")
    r.config_resetstat()
    body = staff_client.get("/admin/jobs/dead/groups/").content.decode()
    stats = r.info("commandstats")
    ranges = {
        name: stats.get(f"cmdstat_{name}", {}).get("calls", 0)
        for name in ("zrange", "zrevrange", "zscan", "zrangebyscore")
    }
    assert sum(ranges.values()) == triage.SCAN_LIMIT // triage.BATCH  # 10 reads of 1,000
    assert "Grouped the newest 10,000 of 100,000 jobs" in body
    assert 'value="kill"' not in body  # dead jobs are not killed again


def test_group_actions_act_on_the_group_only(staff_client: Client, r: redis.Redis) -> None:
    seed(r, "retry", 4, "TimeoutError", "read timed out after {i} s")
    seed(r, "retry", 3, "KeyError", "'user-{i}'")
    gid = triage.group_id("TimeoutError", "read timed out after <n> s")
    url = "/admin/jobs/actions/retries/group"
    response = staff_client.post(url, {"action": "kill", "group": gid}, follow=True)
    assert "4 jobs moved to Dead." in response.content.decode()
    assert (r.zcard("retry"), r.zcard("dead")) == (3, 4)
    response = staff_client.post(url, {"action": "kill", "group": gid}, follow=True)
    assert "Nothing changed" in response.content.decode()
    dead_gid = triage.group_id("TimeoutError", "read timed out after <n> s")
    response = staff_client.post(
        "/admin/jobs/actions/dead/group", {"action": "kill", "group": dead_gid}
    )
    assert r.zcard("dead") == 4
    staff_client.post(url, {"action": "delete", "group": "not-hex"})
    assert r.zcard("retry") == 3
    staff_client.post("/admin/jobs/actions/dead/group", {"action": "delete", "group": dead_gid})
    assert r.zcard("dead") == 0


def test_scheduled_jobs_have_no_groups(staff_client: Client, r: redis.Redis) -> None:
    assert staff_client.get("/admin/jobs/scheduled/groups/").status_code == 404
    assert (
        staff_client.post(
            "/admin/jobs/actions/scheduled/group", {"action": "delete", "group": "0" * 16}
        ).status_code
        == 404
    )
