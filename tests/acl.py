"""Least privilege: the Redis commands the project uses, as one ACL user's whole allowance.

The list was read from jobs/ (client, worker, sets, recovery, heartbeat, poller,
recurring, api, dashboard and the Lua scripts, whose commands ACLs check too) and
is checked against INFO commandstats in tests/reliability/test_acl.py. Everything else
is denied, CONFIG, FLUSHALL, FLUSHDB, KEYS, DEBUG, SHUTDOWN and EVAL of ad-hoc scripts
included.

The whole test suite runs its application code as this user (tests/conftest.py: the
Django test process, every worker and management-command subprocess, and the library
calls of unit tests through the `app_redis` fixture; tests.helpers' PrivateRedis for
private servers); the fixtures keep an admin connection for FLUSHDB, SCAN and inspection.
The user is named for the tests, so a shared server's `default` user and any real `jobs`
user are left alone.
"""

from __future__ import annotations

import os
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis

USER = "jobs-test"
PASSWORD = "least-privilege-pass"

# Redis 6.2 brought LMOVE and BLMOVE (and `resetchannels`): older servers cannot host the user.
LEAST_VERSION = (6, 2)

COMMANDS: dict[str, str] = {
    # Connection
    "auth": "log in as this user",
    "select": "a database other than 0 in REDIS_URL",
    "ping": "redis-py's health check on idle connections",
    # Transactions (heartbeat, retry writes, dashboard actions)
    "multi": "pipelines with transaction=True",
    "exec": "pipelines with transaction=True",
    # Scripts: EVALSHA only; redis-py loads a script when Redis answers NOSCRIPT
    "evalsha": "the Lua scripts in jobs/redis/lua (fetch, requeue, kill, move, recurring)",
    "script|load": "load a Lua script after a restart or SCRIPT FLUSH",
    # Server
    "info": "Redis version and eviction-policy checks; the dashboard's Redis panel",
    "time": "Redis-server time for beats, the poller and recurring ticks",
    "wait": "the durable push (JOBS['DURABLE_PUSH']): wait for replicas",
    # Pub/sub, on the one channel jobs:scheduled (CHANNELS)
    "publish": "announce a scheduled job or a retry's due time to the pollers",
    "subscribe": "each worker's hints listener (wakes its poller at due times)",
    # Queues (lists)
    "lpush": "enqueue; dashboard signals to a process",
    "rpush": "push a recovered or stopped job back to the head of its queue",
    "lmove": "reliable fetch into the in-progress list",
    "blmove": "reliable fetch, blocking while idle",
    "lrem": "acknowledge a job; dashboard deletes one",
    "lrange": "recovery reads in-progress lists; dashboard pages",
    "llen": "dashboard queue sizes",
    "lindex": "queue latency (the oldest job)",
    "rpop": "a dashboard signal for this process; trimming the history's index",
    # Sets
    "sadd": "the queues set; processes",
    "srem": "processes that left; queues cleared",
    "smembers": "owners of in-progress lists (recovery)",
    "sismember": "dashboard: is a process alive",
    "scard": "processes count (poll interval)",
    "sscan": "queues and processes, in pages",
    # Sorted sets (schedule, retry, dead)
    "zadd": "schedule, retry, dead",
    "zrem": "move or delete a member",
    "zrange": "dashboard pages",
    "zrevrange": "dashboard pages, newest first",
    "zrangebyscore": "due jobs (poller); dashboard",
    "zremrangebyscore": "trim the dead set by age",
    "zremrangebyrank": "trim the dead set by size",
    "zcard": "set sizes",
    "zscan": "dashboard search",
    # Hashes (process info, recurring state)
    "hset": "heartbeat; recurring entry state",
    "hget": "recurring entry state",
    "hmget": "dashboard: process info",
    "hgetall": "dashboard: running jobs; recurring state; metrics",
    "hdel": "release a unique job's lock (only while that job owns it)",
    "hincrby": "per-class metrics, flushed with the heartbeat (jobs.metrics); limiter counters",
    "hlen": "dashboard: metrics hashes are measured before they are read",
    "bitfield": "per-class histograms in Sidekiq's metrics keys",
    # Strings and keys
    "get": "dashboard: stats; a job's history (find)",
    "set": "a finished job's history (SET ... EX, with its ack)",
    "mget": "dashboard: daily stats",
    "incrby": "processed and failed counters",
    "expire": "heartbeat TTL; daily stats; work hashes",
    "exists": "is a process alive (recovery, pruning)",
    "del": "work hashes; a stopped process's keys",
    "unlink": "dashboard: clear a queue",
}

# The only pub/sub channel the user may use (`resetchannels` first: none by default).
CHANNELS = ["jobs:scheduled"]

# Sent by redis-py 5+ on connect; Redis 7.2+ knows it (older servers answer "unknown").
OPTIONAL = {"client|setinfo": "redis-py announces its name and version (ignored if denied)"}
OPTIONAL_SINCE = {"client|setinfo": (7, 2)}

FORBIDDEN = [
    ["CONFIG", "GET", "maxmemory"],
    ["FLUSHALL"],
    ["FLUSHDB"],
    ["KEYS", "*"],
    ["DEBUG", "SLEEP", "0"],
    ["SHUTDOWN", "NOSAVE"],
    ["EVAL", "return 1", "0"],
    ["SCRIPT", "FLUSH"],
    ["ACL", "LIST"],
]


def wanted() -> bool:
    """False when JOBS_TEST_ACL=0: app code then uses the admin URL (for debugging)."""
    return os.environ.get("JOBS_TEST_ACL", "1").strip().lower() not in {"0", "no", "false", "off"}


def parse_version(text: str) -> tuple[int, ...]:
    """`7.0.15` -> (7, 0, 15)."""
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def rules(version: tuple[int, ...]) -> list[str]:
    """The user's ACL rules for a server of `version` (its optional commands if it knows them)."""
    given = ["reset", "on", f">{PASSWORD}", "~*", "resetchannels"]
    given += [f"&{channel}" for channel in CHANNELS]
    given += ["-@all"]
    given += [f"+{command}" for command in COMMANDS]
    given += [f"+{command}" for command in OPTIONAL if version >= OPTIONAL_SINCE[command]]
    return given


def create_user(admin: redis.Redis) -> list[str]:
    """Create (or reset) the user in one ACL SETUSER, so a live user never lacks a command.

    Returns the rules given. Raises redis.ResponseError when the server has no ACLs or
    the admin may not change them, and RuntimeError when the server is older than 6.2.
    """
    version = parse_version(str(admin.info("server")["redis_version"]))
    if version < LEAST_VERSION:
        raise RuntimeError(f"Redis {'.'.join(map(str, version))} has no LMOVE/BLMOVE")
    given = rules(version)
    admin.execute_command("ACL", "SETUSER", USER, *given)
    return given


def user_url(admin_url: str) -> str:
    """`admin_url` (host, port, database) with this user's name and password in it."""
    parts = urlsplit(admin_url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{USER}:{PASSWORD}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def url(port: int, db: int = 0) -> str:
    return user_url(f"redis://127.0.0.1:{port}/{db}")


# The run's admin URL, in the environment of the test process and its subprocesses.
ADMIN_ENV = "JOBS_TEST_ADMIN_URL"


def admin_url(app_url: str) -> str:
    """The admin's URL for the server and database of `app_url`, an application code URL.

    For test instrumentation inside worker processes (the test jobs' `ledger:*` keys,
    whose BLPOP and SET the user may not run). The credentials are those of
    $JOBS_TEST_ADMIN_URL when it names the same server, else none (the default user).
    """
    parts = urlsplit(app_url)
    if parts.username != USER:
        return app_url
    admin = urlsplit(os.environ.get(ADMIN_ENV, ""))
    same = (admin.hostname, admin.port) == (parts.hostname, parts.port)
    credentials = admin.netloc.rpartition("@")[0] if same else ""
    netloc = parts.netloc.rpartition("@")[2]
    if credentials:
        netloc = f"{credentials}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def denials(
    admin: redis.Redis, db: int | None = None, within_s: float | None = None
) -> list[dict[str, Any]]:
    """This user's ACL LOG entries (up to 1000: `ACL LOG` alone returns only 10).

    `db` keeps those whose client had that database selected (other test runs may share
    the server, each on its own database; failed logins are kept whatever the database);
    `within_s` keeps those updated in the last `within_s` seconds.
    """
    found = []
    for entry in cast(list[dict[str, Any]], admin.acl_log(count=1000)):
        if entry.get("username") != USER:
            continue
        if within_s is not None and float(entry.get("age-seconds", 0)) > within_s:
            continue
        client = entry.get("client-info") or {}
        if db is not None and entry.get("reason") != "auth" and str(client.get("db")) != str(db):
            continue
        found.append(entry)
    return found
