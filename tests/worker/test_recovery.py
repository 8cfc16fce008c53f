"""Recovery of jobs left in in-progress lists, on real Redis with a test clock for the grace."""

from __future__ import annotations

import json

import redis

from jobs.moves import push_back
from jobs.redis import keys
from jobs.worker.blame import blame, read_dead, recover_dead, suspect
from jobs.worker.recovery import Suspects, recover_orphans, requeue_list, requeue_one
from tests.helpers import HandClock

NOW = 1_795_000_000.0
LIST = keys.inprogress("host:1:abc")


def job(jid: str, queue: str = "low", **extra: object) -> bytes:
    body = {"class": "X", "args": [1], "jid": jid, "queue": queue, "bid": "kept", **extra}
    return json.dumps(body, separators=(",", ":")).encode()


def test_a_job_whose_worker_died_goes_back_to_the_head_of_its_queue_counted(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush("queue:low", job("waiting"))
    redis_client.lpush(LIST, job("a"))
    assert requeue_one(app_redis, LIST, job("a"), NOW, died=True, max_recoveries=3) == (1, 0)
    assert redis_client.llen(LIST) == 0
    head = json.loads(redis_client.rpop("queue:low") or b"")
    assert (head["jid"], head["recoveries"], head["bid"]) == ("a", 1, "kept")
    assert redis_client.sismember("queues", "low")


def test_a_job_we_did_not_run_goes_back_byte_for_byte_uncounted(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, job("a", recoveries=True))
    assert requeue_one(
        app_redis, LIST, job("a", recoveries=True), NOW, died=False, max_recoveries=3
    ) == (1, 0)
    assert redis_client.lrange("queue:low", 0, -1) == [job("a", recoveries=True)]


def test_a_boolean_recovery_count_counts_from_zero(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, job("a", recoveries=True))
    requeue_one(app_redis, LIST, job("a", recoveries=True), NOW, died=True, max_recoveries=3)
    assert json.loads(redis_client.lindex("queue:low", 0) or b"")["recoveries"] == 1


def test_a_poison_pill_goes_to_dead(redis_client: redis.Redis, app_redis: redis.Redis) -> None:
    redis_client.lpush(LIST, job("pill", recoveries=2))
    assert requeue_one(
        app_redis, LIST, job("pill", recoveries=2), NOW, died=True, max_recoveries=3
    ) == (0, 1)
    [(member, score)] = redis_client.zrange("dead", 0, -1, withscores=True)
    record = json.loads(member)
    assert score == NOW
    assert (record["error_class"], record["recoveries"], record["retry_count"]) == (
        "WorkerDied",
        3,
        0,
    )
    assert record["error_message"] == "worker died 3 times while running this job"
    assert redis_client.llen("queue:low") == 0


def test_unreadable_bytes_go_to_dead_as_a_readable_record(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, b'{"class":"X","jid":"j9","queue":"low"}')
    assert requeue_list(app_redis, LIST, NOW, died=True, max_recoveries=3) == (0, 1)
    record = json.loads(redis_client.zrange("dead", 0, -1)[0])
    assert (record["jid"], record["queue"], record["failed_at"]) == ("j9", "low", NOW)
    assert record["error_message"] == "payload has no 'args' list"


def test_nothing_moves_when_the_job_left_the_list(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    assert requeue_one(app_redis, LIST, job("gone"), NOW, died=True, max_recoveries=3) == (0, 0)
    assert push_back(app_redis, LIST, job("gone")) == 0
    assert redis_client.dbsize() == 0


def test_push_back_of_unreadable_bytes_keeps_them_for_the_worker_to_judge(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, b"garbage{")
    assert push_back(app_redis, LIST, b"garbage{") == 1
    assert redis_client.lrange("queue:default", 0, -1) == [b"garbage{"]


def test_orphans_are_recovered_only_after_the_grace(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    ticks = HandClock(100.0)
    suspects: Suspects[str] = Suspects(grace=5.0, monotonic=ticks)
    redis_client.sadd(keys.WORKERS, "host:1:abc", "me")
    redis_client.sadd(keys.PROCESSES, "host:1:abc")
    redis_client.lpush(LIST, job("a"), job("b"))
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 0
    ticks.now += 4.9
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 0
    assert redis_client.llen(LIST) == 2
    ticks.now += 0.1
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 2
    # It died holding two jobs: neither is blamed; a first such death sends them back.
    assert redis_client.llen("queue:low") == 2
    assert redis_client.smembers(keys.WORKERS) == {b"me"}
    assert redis_client.smembers(keys.PROCESSES) == set()


def test_a_heartbeat_that_comes_back_cancels_the_suspicion(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    ticks = HandClock(100.0)
    suspects: Suspects[str] = Suspects(grace=5.0, monotonic=ticks)
    redis_client.sadd(keys.WORKERS, "host:1:abc")
    redis_client.lpush(LIST, job("a"))
    recover_orphans(app_redis, "me", NOW, 3, suspects)
    redis_client.hset("host:1:abc", "beat", "1")
    ticks.now += 10
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 0
    redis_client.delete("host:1:abc")
    ticks.now += 1
    assert recover_orphans(app_redis, "me", NOW, 3, suspects) == 0  # a new grace begins
    assert redis_client.llen(LIST) == 1


def test_suspects_confirm_at_once_without_grace() -> None:
    suspects: Suspects[str] = Suspects(0.0, monotonic=HandClock(100.0))
    assert suspects.confirmed("x")


OWNER = "host:1:abc"
MARKER = keys.solo(OWNER)


def suspects(client: redis.Redis, queue: str = "low") -> list[dict[str, object]]:
    """The suspects of `queue`, next to run first."""
    return [json.loads(raw) for raw in reversed(client.lrange(keys.suspects(queue), 0, -1))]


def queued(client: redis.Redis, queue: str = "low") -> list[dict[str, object]]:
    """The jobs of `queue`, next to run first."""
    return [json.loads(raw) for raw in reversed(client.lrange(f"queue:{queue}", 0, -1))]


def test_a_worker_that_died_holding_several_jobs_blames_none_of_them(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, job("a"), job("b", queue="default", suspected=1, recoveries=1))
    assert recover_dead(app_redis, OWNER, NOW, 3) == (2, 0)
    # a: its first death beside others, back to the head of its queue, counted.
    assert [(s["jid"], s["suspected"]) for s in queued(redis_client)] == [("a", 1)]
    assert suspects(redis_client) == []
    # b: its second, so it runs alone next; its blame count stays as it was.
    [b] = suspects(redis_client, "default")
    assert (b["jid"], b["suspected"], b["recoveries"]) == ("b", 2, 1), "its count stays"
    assert redis_client.llen(LIST) == 0
    assert redis_client.llen("queue:default") == 0, "suspects do not go back to their queue"


def test_a_single_job_that_ran_as_any_job_is_a_suspect_not_blamed(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    # Alone in the list, but not fetched as a solo job (no marker): unblamed, it runs alone next.
    redis_client.lpush(LIST, job("only", suspected=1, recoveries=1))
    assert recover_dead(app_redis, OWNER, NOW, 3) == (1, 0)
    [only] = suspects(redis_client)
    assert (only["suspected"], only["recoveries"]) == (2, 1)


def test_the_job_running_alone_is_blamed_and_runs_alone_again(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    alone = job("alone", suspected=2)
    redis_client.lpush(LIST, job("acked-late"), alone)
    redis_client.lpush(MARKER, alone)
    assert recover_dead(app_redis, OWNER, NOW, 3) == (2, 0)
    [blamed] = suspects(redis_client)
    assert (blamed["jid"], blamed["recoveries"], blamed["suspected"]) == ("alone", 1, 2)
    [beside] = queued(redis_client)
    assert (beside["jid"], beside["suspected"], "recoveries" in beside) == ("acked-late", 1, False)
    assert not redis_client.exists(MARKER)


def test_a_job_that_killed_its_worker_alone_max_times_goes_to_dead_saying_why(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    pill = job("pill", suspected=2, recoveries=1)  # a 4th death: over MAX_RECOVERIES (3)
    redis_client.lpush(LIST, pill)
    redis_client.lpush(MARKER, pill)
    assert recover_dead(app_redis, OWNER, NOW, 3) == (0, 1)
    [(member, score)] = redis_client.zrange("dead", 0, -1, withscores=True)
    record = json.loads(member)
    assert score == NOW
    assert (record["jid"], record["error_class"], record["recoveries"]) == (
        "pill",
        "WorkerDied",
        2,
    )
    assert record["error_message"] == "killed its worker 2 times while running alone"
    assert suspects(redis_client) == []


def test_a_marker_naming_a_job_already_acked_blames_nobody(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(MARKER, job("done"))
    redis_client.lpush(LIST, job("fetched-after"))
    recover_dead(app_redis, OWNER, NOW, 3)
    [after] = queued(redis_client)
    assert (after["jid"], "recoveries" in after) == ("fetched-after", False)


def test_two_recoverers_move_each_job_once(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, job("a"), job("b"))
    redis_client.lpush(MARKER, job("b"))
    seen = read_dead(app_redis, OWNER)  # the other recoverer read the same list...
    assert recover_dead(app_redis, OWNER, NOW, 3) == (2, 0)
    alone, listed = seen
    # ...and acts on it afterwards: every guarded move finds its job gone.
    assert [blame(app_redis, LIST, raw, NOW, 3) for raw in listed if raw == alone] == [(0, 0)]
    assert [suspect(app_redis, LIST, raw, NOW) for raw in listed if raw != alone] == [(0, 0)]
    assert redis_client.llen(keys.suspects("low")) == 1, "b, blamed: alone again"
    assert redis_client.llen("queue:low") == 1, "a, beside it: back to its queue"


def test_requeue_list_of_a_dead_process_recovers_it_as_recover_dead_does(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    redis_client.lpush(LIST, job("a"), b"{broken")
    assert requeue_list(app_redis, LIST, NOW, died=True, max_recoveries=3) == (1, 1)
    assert [s["jid"] for s in queued(redis_client)] == ["a"]
    assert redis_client.zcard("dead") == 1


def test_at_a_stop_the_solo_job_goes_back_to_the_suspects_and_the_rest_to_their_queues(
    redis_client: redis.Redis, app_redis: redis.Redis
) -> None:
    alone = job("alone", suspected=1)
    redis_client.lpush(LIST, job("normal"), alone)
    redis_client.lpush(MARKER, alone)
    assert requeue_list(app_redis, LIST, NOW, died=False, max_recoveries=0) == (2, 0)
    assert redis_client.lrange(keys.suspects("low"), 0, -1) == [alone], "byte for byte"
    assert redis_client.lrange("queue:low", 0, -1) == [job("normal")]
    assert not redis_client.exists(MARKER)
