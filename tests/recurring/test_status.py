"""The status of an entry's last job follows the job signals of the worker that runs it."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from jobs import signals
from jobs.recurring import status, store
from jobs.recurring.schedule import parse_entry
from jobs.runtime.clock import Clock
from tests.helpers import free_port
from tests.recurring.conftest import TICK

T0 = 1_800_000_000


def claimed_payload(client: redis.Redis) -> dict[str, object]:
    entry = parse_entry("e", {"every": "1s", "class": TICK, "args": ["x"]}, "UTC")
    payload = entry.payload(T0, T0)
    store.claim(client, entry, T0, payload, T0)
    return payload


def state(client: redis.Redis) -> store.EntryState:
    return store.read_states(client, ["e"])["e"]


def test_signals_write_the_status_of_the_entry_s_last_job(app_redis: redis.Redis) -> None:
    payload = claimed_payload(app_redis)
    status.connect(app_redis, Clock())

    signals.job_started.send(sender=None, payload=payload)
    assert state(app_redis).status == "running"
    signals.job_failed.send(sender=None, payload=payload, exception=ValueError())
    signals.job_retried.send(sender=None, payload=payload, exception=ValueError(), retry_at=0)
    assert state(app_redis).status == "retrying"
    signals.job_dead.send(sender=None, payload=payload, exception=ValueError())
    assert state(app_redis).status == "dead"
    signals.job_succeeded.send(sender=None, payload=payload, duration=0.1)
    assert state(app_redis).status == "succeeded"


def test_other_jobs_and_older_runs_change_nothing(app_redis: redis.Redis) -> None:
    payload = claimed_payload(app_redis)
    status.connect(app_redis, Clock())
    signals.job_started.send(sender=None, payload={**payload, "jid": "f" * 24})
    signals.job_started.send(sender=None, payload={**payload, "recurring": None})
    signals.job_started.send(sender=None, payload={"class": TICK, "jid": payload["jid"]})
    assert state(app_redis).status == "enqueued"


def test_connecting_twice_keeps_one_receiver_and_disconnect_removes_it(
    app_redis: redis.Redis,
) -> None:
    before = len(signals.job_started.receivers)
    status.connect(app_redis, Clock())
    status.connect(app_redis, Clock())
    assert len(signals.job_started.receivers) == before + 1
    status.disconnect()
    assert len(signals.job_started.receivers) == before


def test_a_redis_error_never_fails_the_job() -> None:
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    status.connect(down, Clock())
    payload = {"class": TICK, "jid": "a" * 24, "recurring": "e", "args": ["x"]}
    signals.job_started.send(sender=None, payload=payload)  # no exception
    down.close()
