"""Least privilege: the Redis commands the project uses, as one ACL user's whole allowance.

The list was read from jobs/ (client, worker, sets, recovery, heartbeat, poller,
recurring, api, dashboard and the Lua scripts, whose commands ACLs check too) and
is checked against INFO commandstats in test_acl.py. Everything else is denied,
CONFIG, FLUSHALL, FLUSHDB, KEYS, DEBUG, SHUTDOWN and EVAL of ad-hoc scripts included.
"""

from __future__ import annotations

import redis

USER = "jobs"
PASSWORD = "least-privilege-pass"

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
    # Queues (lists)
    "lpush": "enqueue; dashboard signals to a process",
    "rpush": "push a recovered or stopped job back to the head of its queue",
    "lmove": "reliable fetch into the in-progress list",
    "blmove": "reliable fetch, blocking while idle",
    "lrem": "acknowledge a job; dashboard deletes one",
    "lrange": "recovery reads in-progress lists; dashboard pages",
    "llen": "dashboard queue sizes",
    "lindex": "queue latency (the oldest job)",
    "rpop": "a dashboard signal for this process",
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
    "hgetall": "dashboard: running jobs; recurring state",
    # Strings and keys
    "get": "dashboard: stats",
    "mget": "dashboard: daily stats",
    "incrby": "processed and failed counters",
    "expire": "heartbeat TTL; daily stats; work hashes",
    "exists": "is a process alive (recovery, pruning)",
    "del": "work hashes; a stopped process's keys",
    "unlink": "dashboard: clear a queue",
}

# Sent by redis-py 5+ on connect; Redis 7.2+ knows it (older servers answer "unknown").
OPTIONAL = {"client|setinfo": "redis-py announces its name and version (ignored if denied)"}

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


def create_user(admin: redis.Redis) -> list[str]:
    """Create the least-privilege user; return the rules given (optional ones if known)."""
    rules = ["reset", "on", f">{PASSWORD}", "~*", "resetchannels", "-@all"]
    rules += [f"+{command}" for command in COMMANDS]
    admin.execute_command("ACL", "SETUSER", USER, *rules)
    for command in OPTIONAL:
        try:
            admin.execute_command("ACL", "SETUSER", USER, f"+{command}")
        except redis.ResponseError:
            continue  # this server does not have it
        rules.append(f"+{command}")
    return rules


def url(port: int) -> str:
    return f"redis://{USER}:{PASSWORD}@127.0.0.1:{port}/0"
