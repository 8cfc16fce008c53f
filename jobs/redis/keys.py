"""Every Redis key name this app reads or writes, in one place.

The first block is Sidekiq's own layout (shared with Ruby/Rust Sidekiq and their
dashboards); the second block is private to this app and lives under `jobs:`.
"""

from __future__ import annotations

# Sidekiq's keys.
QUEUES = "queues"
SCHEDULE = "schedule"
RETRY = "retry"
DEAD = "dead"
PROCESSES = "processes"
STAT_PROCESSED = "stat:processed"
STAT_FAILED = "stat:failed"
SORTED_SETS = (SCHEDULE, RETRY, DEAD)

# Our private keys.
PREFIX = "jobs:"
WORKERS = PREFIX + "workers"  # set of identities that own an in-progress list
# Pub/sub channel: a job was added to `schedule` or `retry`; the message is its due time.
SCHEDULED = PREFIX + "scheduled"
# List of the jobs that ended, newest first: the history's index (jobs/history.py).
HISTORY = PREFIX + "history"
# Sorted set of the history's buckets of finished runs (member and score: a bucket's start).
FINISHED = PREFIX + "finished"


def queue(name: str) -> str:
    """The list holding the jobs waiting in queue `name`."""
    return "queue:" + name


def stat_day(kind: str, day: str) -> str:
    """Daily counter, e.g. `stat:processed:2026-11-22` (UTC date)."""
    return f"stat:{kind}:{day}"


def process_work(identity: str) -> str:
    """Sidekiq 7+ hash of running jobs, field = thread id."""
    return identity + ":work"


def process_workers(identity: str) -> str:
    """Sidekiq 6 name of the same hash (its Web UI reads this one)."""
    return identity + ":workers"


def process_signals(identity: str) -> str:
    """List of signals (TSTP, TERM, TTIN) sent to a process by a dashboard."""
    return identity + "-signals"


def inprogress(identity: str) -> str:
    """Jobs fetched by process `identity` and not yet finished (reliable fetch)."""
    return PREFIX + "inprogress:" + identity


def suspects(queue: str) -> str:
    """Jobs of `queue` a worker died beside, unblamed: each runs alone next (jobs/worker/solo.py)."""
    return PREFIX + "suspects:" + queue


def solo(identity: str) -> str:
    """The job process `identity` runs alone now, if any: its death is blamed on that job."""
    return PREFIX + "solo:" + identity


def recurring(suffix: str) -> str:
    """Private keys of the recurring-jobs scheduler."""
    return PREFIX + "recurring:" + suffix


def task_result(jid: str) -> str:
    """Hash holding the result of the django.tasks task whose job id is `jid`."""
    return PREFIX + "task:" + jid


# Flow control (jobs/unique.py, jobs/limits/, queue pause).
PAUSED = PREFIX + "paused"  # set of paused queue names
PAUSED_HINT = "paused"  # published on SCHEDULED when PAUSED changed: workers read it again
LIMITS_SEEN = PREFIX + "limits:seen"  # zset: limiter name -> when last asked
LIMITS_META = PREFIX + "limits:meta"  # hash: limiter name -> "kind n per"
LIMITS_STATS = PREFIX + "limits:stats"  # hash: "<name>|yes" / "<name>|no" -> count


def unique(digest: str) -> str:
    """Uniqueness lock of the jobs whose identity hashes to `digest` (one field: the owner's jid)."""
    return PREFIX + "unique:" + digest


def limit(kind: str, name: str) -> str:
    """The state of limiter `name` of `kind` (a sorted set of leases or entries, or a hash)."""
    return f"{PREFIX}limit:{kind}:{name}"


def history(jid: str) -> str:
    """One job's final run and payload as one string (written before the buckets existed)."""
    return PREFIX + "history:" + jid


def finished(start: int) -> str:
    """Hash of the runs that ended in one bucket of time, field = jid (jobs/history.py)."""
    return f"{PREFIX}finished:{start}"


def history_runs(jid: str) -> str:
    """List of one job's failed runs (jobs/history.py)."""
    return PREFIX + "history:" + jid + ":runs"
