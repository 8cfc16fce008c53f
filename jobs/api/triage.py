"""Failure triage: the Retries and Dead sets grouped by error, with bounded work.

1. `signature` makes an error's group: its class and its message with what varies
   between occurrences masked (numbers, hex ids and uuids, emails, IPs, host:port).
2. `group_failures` reads only the newest SCAN_LIMIT members (ZREVRANGE in chunks
   of BATCH), so a set of a million costs what a set of SCAN_LIMIT does; the result
   says how many were grouped out of how many, and counts each group's failures over
   1 h / 24 h / 7 d by the records' last failure time.
3. `act_on_group` re-reads the same bound and acts on exactly the members whose
   signature is the group's, by exact member, as every set action does: a member that
   moved or changed since is simply not found.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from jobs.api.records import JobRecord, to_datetime
from jobs.api.sorted_sets import Action, SortedJobSet

SCAN_LIMIT = 10_000
BATCH = 1000
MAX_GROUPS = 200  # shown; the rest are counted as "other"
MESSAGE_CHARS = 500
WINDOWS = {"1h": 3600, "24h": 86_400, "7d": 7 * 86_400}

# One pass, alternatives tried in this order at each position (the first that matches wins).
_MASKS = (
    ("uuid", r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("ip", r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"),
    ("ip", r"\[?\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b\]?(?::\d+)?"),
    ("host:port", r"\b(?:[a-z0-9-]+\.)*[a-z0-9-]+:\d{2,5}\b"),
    ("hex", r"\b0x[0-9a-f]+\b"),
    ("hex", r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b"),
    ("n", r"\d+(?:\.\d+)?"),
)
_MASK = re.compile("|".join(f"(?P<m{i}>{pattern})" for i, (_, pattern) in enumerate(_MASKS)), re.I)


def _placeholder(match: re.Match[str]) -> str:
    return f"<{_MASKS[int(str(match.lastgroup)[1:])][0]}>"


def mask(message: str) -> str:
    """`message` (cut to MESSAGE_CHARS) with its varying parts replaced by placeholders."""
    return " ".join(_MASK.sub(_placeholder, message[:MESSAGE_CHARS]).split())


def signature(record: JobRecord) -> tuple[str, str]:
    """The group of a failure: (error class, masked message)."""
    if not record.ok:
        return "(unreadable)", mask(record.problem)
    return record.error_class[:200] or "(no error class)", mask(record.error_message)


def group_id(error_class: str, message: str) -> str:
    """A short stable id of a group, safe in URLs and forms."""
    return hashlib.sha256(f"{error_class}\n{message}".encode()).hexdigest()[:16]


def failed_at(record: JobRecord) -> float | None:
    """When the member last failed: `retried_at`, else `failed_at` (epoch seconds)."""
    moment = record.retried_at or record.failed_at
    return moment.timestamp() if moment is not None else None


@dataclass
class FailureGroup:
    """Members that failed the same way."""

    id: str
    error_class: str
    message: str
    count: int = 0
    recent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WINDOWS, 0))
    last: float | None = None  # the newest failure time
    example: JobRecord | None = None

    @property
    def last_hour(self) -> int:
        """Failures in the last hour."""
        return self.recent["1h"]

    @property
    def last_day(self) -> int:
        """Failures in the last 24 hours."""
        return self.recent["24h"]

    @property
    def last_week(self) -> int:
        """Failures in the last 7 days."""
        return self.recent["7d"]

    @property
    def last_time(self) -> datetime | None:
        """The newest failure as a time."""
        return to_datetime(self.last)


@dataclass
class Triage:
    """The groups of one set's newest members."""

    groups: list[FailureGroup]
    scanned: int  # members grouped
    total: int  # members in the set
    limit: int
    other: int  # members in groups beyond MAX_GROUPS

    @property
    def partial(self) -> bool:
        """Whether older members were left out by the bound."""
        return self.scanned < self.total


def newest(jobset: SortedJobSet, limit: int = SCAN_LIMIT) -> Iterator[JobRecord]:
    """The newest `limit` members (by score), read BATCH at a time."""
    read = 0
    seen: set[bytes] = set()  # a member shifted between chunks by a concurrent change
    while read < limit:
        want = min(BATCH, limit - read)
        batch = jobset.range(read, want, newest_first=True)
        for record in batch:
            if record.raw not in seen:
                seen.add(record.raw)
                yield record
        read += len(batch)
        if len(batch) < want:
            return  # the end of the set


def group_failures(jobset: SortedJobSet, now: float, limit: int = SCAN_LIMIT) -> Triage:
    """Group the newest `limit` members of `jobset` by error, most frequent first."""
    total = jobset.size()
    groups: dict[str, FailureGroup] = {}
    scanned = 0
    for record in newest(jobset, limit):
        scanned += 1
        error_class, message = signature(record)
        gid = group_id(error_class, message)
        group = groups.get(gid)
        if group is None:
            group = groups[gid] = FailureGroup(gid, error_class, message, example=record)
        group.count += 1
        moment = failed_at(record)
        if moment is not None:
            group.last = moment if group.last is None else max(group.last, moment)
            for name, seconds in WINDOWS.items():
                if now - seconds <= moment <= now + 60:
                    group.recent[name] += 1
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.error_class, g.message))
    other = sum(g.count for g in ordered[MAX_GROUPS:])
    return Triage(ordered[:MAX_GROUPS], scanned, total, limit, other)


def act_on_group(
    jobset: SortedJobSet, action: Action, gid: str, now: float, limit: int = SCAN_LIMIT
) -> int:
    """Do `action` to the members of group `gid` among the newest `limit`; how many were."""
    done = 0
    chosen: list[JobRecord] = []
    for record in newest(jobset, limit):
        if group_id(*signature(record)) == gid:
            chosen.append(record)
    for start in range(0, len(chosen), BATCH):
        done += jobset.apply(action, chosen[start : start + BATCH], now)
    return done
