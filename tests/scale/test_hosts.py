"""Hosts that drop off: a worker host cut off from Redis longer than the heartbeat TTL.

Real hosts as far as the network goes (tests/scale/netns.py): a Redis host and three
worker hosts, each a network namespace with its own address, a real redis-server in
the first and a real `runworker` in each of the others. Worker host 1 is cut off while
it runs jobs, for longer than HEARTBEAT_TTL, so the others take it for dead and recover
its jobs; then it is healed, and must rejoin by itself. Counted from the ledger
(outside Redis): none lost, duplicates only among the jobs it held at the cut, and its
late acknowledgements corrupt nothing (no negative counter, nothing left in an
in-progress list, no job removed that had not run).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from jobs.client import push_payloads
from jobs.conf import get_settings
from jobs.redis import keys
from jobs.redis.connection import make_client
from tests.figures import Reporter
from tests.helpers import ROOT, redis_server_binary, wait_for
from tests.reliability.ledger import Ledger
from tests.scale.cluster import ONE_LEG
from tests.scale.netns import Hosts, unavailable
from tests.testapp.jobs import LedgerJob

pytestmark = [pytest.mark.slow, ONE_LEG]

WORKERS = 3
JOB_MS = 300


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    why = unavailable()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the hosts test, but {why}")
        pytest.skip(why)
    made = Hosts(WORKERS)
    try:
        made.create()
        yield made
    finally:
        made.remove()


def _push(client: redis.Redis, count: int, tag: str) -> list[str]:
    payloads = [LedgerJob.set().build([JOB_MS, tag], time.time()) for _ in range(count)]
    push_payloads(payloads, client)
    return [payload["jid"] for payload in payloads]


def test_a_worker_host_cut_off_past_the_ttl_loses_nothing_and_rejoins_when_healed(
    hosts: Hosts, ledger: Ledger, figures: Reporter, tmp_path: Path
) -> None:
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    server = [redis_server_binary(), "--bind", hosts.redis_ip, "--port", "6379", "--save", ""]
    server += ["--appendonly", "no", "--dir", str(redis_dir), "--protected-mode", "no"]
    hosts.start(hosts.redis_ns, server, tmp_path / "redis.log", {})
    url = f"redis://{hosts.redis_ip}:6379/0"
    client = make_client(url, socket_connect_timeout=1)
    wait_for(lambda: _pings(client), 15, "redis-server in its namespace")
    env = {
        **ledger.env,
        "REDIS_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
    }
    runworker = [sys.executable, "manage.py", "runworker", "-c", "2", "-q", "default"]
    pids = [
        hosts.start(namespace, runworker, tmp_path / f"{namespace}.log", env)
        for namespace in hosts.worker_ns
    ]
    wait_for(lambda: client.scard(keys.PROCESSES) == WORKERS, 30, "three workers up")
    identities = {_pid_of(client, member): member for member in client.smembers(keys.PROCESSES)}
    cut_pid = pids[0]
    cut_identity = identities[cut_pid].decode()

    before = _push(client, 60, "before")
    wait_for(lambda: client.llen(keys.inprogress(cut_identity)) > 0, 30, "host 1 holding jobs")
    hosts.cut(1)
    cut_at = time.time()
    # Host 1 cannot change Redis now: what its list holds is what it held at the cut.
    held = {_jid(raw) for raw in client.lrange(keys.inprogress(cut_identity), 0, -1)}
    ttl = get_settings().HEARTBEAT_TTL
    recovered = wait_for(
        lambda: _started_elsewhere(ledger, held, cut_pid, cut_at), ttl + 30, "its jobs recovered"
    )
    recover_s = max(recovered.values()) - cut_at
    wait_for(lambda: time.time() - cut_at > ttl + 2, ttl + 5, "the cut to outlast the TTL")
    hosts.heal(1)
    healed_at = time.time()
    after: list[str] = []
    # Rejoined: the healed worker runs jobs pushed after the heal, without a restart.
    wait_for(
        lambda: after.extend(_push(client, 6, "after")) or _ran(ledger, after, cut_pid),
        60,
        "the healed worker to run new jobs",
        interval=0.5,
    )
    everything = before + after
    wait_for(lambda: _ended(ledger, everything), 60, "every job to run")
    wait_for(lambda: not _inprogress(client), 30, "in-progress lists to empty")
    rejoined_s = (
        min(at for jid, at, pid, *_ in ledger.events("end") if pid == cut_pid and at > healed_at)
        - healed_at
    )

    ends = ledger.counts("end", "before") + ledger.counts("end", "after")
    duplicates = {jid: n - 1 for jid, n in ends.items() if n > 1}
    # Counters are flushed by the heartbeats: the cut worker's after the heal.
    wait_for(lambda: int(client.get(keys.STAT_PROCESSED) or 0) >= len(everything), 30, "counters")
    counters = {key: int(client.get(key) or 0) for key in (keys.STAT_PROCESSED, keys.STAT_FAILED)}
    figures(
        "worker host cut off past the TTL",
        jobs=len(everything),
        held_at_cut=len(held),
        lost=sum(1 for jid in everything if jid not in ends),
        duplicates=sum(duplicates.values()),
        recovered_s=round(recover_s, 1),
        heartbeat_ttl_s=ttl,
        cut_s=round(healed_at - cut_at, 1),
        rejoined_s=round(rejoined_s, 1),
    )
    assert all(jid in ends for jid in everything), "a job was lost"
    assert set(duplicates) <= held, "a job it did not hold at the cut ran twice"
    assert max(duplicates.values(), default=1) <= 1
    assert all(value >= 0 for value in counters.values()), counters
    assert counters[keys.STAT_FAILED] == 0
    for key in (keys.RETRY, keys.DEAD, keys.SCHEDULE):
        assert client.zcard(key) == 0, key
    assert client.llen(keys.queue("default")) == 0
    assert hosts.processes[1].poll() is None, "the cut worker exited"
    client.close()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _pid_of(client: redis.Redis, identity: bytes) -> int:
    info = client.hget(identity, "info")
    return int(json.loads(info)["pid"]) if info else -1


def _jid(raw: bytes) -> str:
    return str(json.loads(raw)["jid"])


def _started_elsewhere(ledger: Ledger, jids: set[str], pid: int, after: float) -> dict[str, float]:
    found = {
        jid: at
        for jid, at, p, *_ in ledger.events("start")
        if jid in jids and p != pid and at > after
    }
    return found if set(found) == jids else {}


def _ran(ledger: Ledger, jids: list[str], pid: int) -> bool:
    wanted = set(jids)
    return any(jid in wanted and p == pid for jid, _, p, *_ in ledger.events("end"))


def _ended(ledger: Ledger, jids: list[str]) -> bool:
    done = {jid for jid, *_ in ledger.events("end")}
    return set(jids) <= done


def _inprogress(client: redis.Redis) -> list[bytes]:
    return [key for key in client.scan_iter(match=keys.inprogress("*")) if client.llen(key)]
