"""Worker processes as their heartbeats describe them, their running jobs, and signals.

Reads Sidekiq's keys: the `processes` set, one hash per identity (info, busy, beat,
quiet, rss, rtt_us, and our `stopping`) and the running jobs in `<identity>:work` (Sidekiq 7+) or
`<identity>:workers` (Sidekiq 6). Signals go through `<identity>-signals` exactly as
Sidekiq's Web UI sends them, so Ruby processes obey them too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from jobs.api.records import JobRecord, to_datetime
from jobs.redis import keys

MAX_PROCESSES = 10_000
SIGNALS = {"quiet": "TSTP", "stop": "TERM"}
SIGNAL_TTL = 60
# Sidekiq 8 keeps `concurrency` as a hash field (its `info` has it per capsule only).
# `stopping` is ours (Sidekiq ignores it): written by a last beat when shutdown begins.
_FIELDS = ("info", "busy", "beat", "quiet", "rss", "rtt_us", "concurrency", "stopping")
SIGNAL_NAMES = {value: name for name, value in SIGNALS.items()}


@dataclass(frozen=True)
class Process:
    """One live worker process."""

    identity: str
    hostname: str = ""
    pid: int | None = None
    tag: str = ""
    concurrency: int | None = None
    queues: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    version: str = ""
    started_at: datetime | None = None
    beat: datetime | None = None
    busy: int = 0
    quiet: bool = False
    rss_kb: int | None = None
    rtt_us: int | None = None
    supervisor: str = ""  # "host:pid" of its `runworker --processes` supervisor, if any
    stopping: bool = False
    pending: tuple[str, ...] = ()  # "quiet" / "stop" sent but not yet taken by the process

    @property
    def state(self) -> str:
        """`stopping`, `quiet` or `running`: stopping once a stop is sent or has begun."""
        if self.stopping or "stop" in self.pending:
            return "stopping"
        return "quiet" if self.quiet or "quiet" in self.pending else "running"


@dataclass(frozen=True)
class RunningJob:
    """A job a process is running now."""

    identity: str
    thread: str
    queue: str
    run_at: datetime | None
    job: JobRecord


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _int(value: Any) -> int | None:
    try:
        return int(float(_text(value)))
    except (TypeError, ValueError, OverflowError):
        return None


def _json_dict(value: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(_text(value))
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value[:100]] if isinstance(value, list) else []


def build_process(identity: str, values: list[Any], signals: list[Any] | None = None) -> Process:
    """A Process from the HMGET reply of `_FIELDS` and its pending signals, tolerating garbage."""
    info = _json_dict(values[0])
    pid, concurrency = info.get("pid"), info.get("concurrency")
    if not isinstance(concurrency, int) and len(values) > 6:
        concurrency = _int(values[6])
    beat = _text(values[2])
    return Process(
        identity=identity,
        hostname=str(info.get("hostname") or ""),
        pid=pid if isinstance(pid, int) else None,
        tag=str(info.get("tag") or ""),
        concurrency=concurrency if isinstance(concurrency, int) else None,
        queues=_strings(info.get("queues")),
        labels=_strings(info.get("labels")),
        version=str(info.get("version") or ""),
        started_at=to_datetime(info.get("started_at")),
        beat=to_datetime(_float(beat)),
        busy=_int(values[1]) or 0,
        quiet=_text(values[3]) == "true",
        rss_kb=_int(values[4]),
        rtt_us=_int(values[5]),
        supervisor=_short(info.get("supervisor")),
        stopping=len(values) > 7 and _text(values[7]) == "true",
        pending=tuple(
            sorted(
                {SIGNAL_NAMES[text] for text in map(_text, signals or []) if text in SIGNAL_NAMES}
            )
        ),
    )


def _short(value: Any, limit: int = 300) -> str:
    return value[:limit] if isinstance(value, str) else ""


def grouped(processes: list[Process]) -> list[Process]:
    """`processes` with each supervisor's children together, in identity order."""
    return sorted(processes, key=lambda p: (p.supervisor or p.identity, p.identity))


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def build_running(identity: str, thread: Any, value: Any) -> RunningJob:
    """A RunningJob from one `work` hash entry; `payload` may be a string or an object."""
    entry = _json_dict(value)
    payload = entry.get("payload")
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    queue = entry.get("queue")
    return RunningJob(
        identity=identity,
        thread=_text(thread),
        queue=queue if isinstance(queue, str) else "",
        run_at=to_datetime(entry.get("run_at")),
        job=JobRecord(raw),
    )


class ProcessSet:
    """The processes that sent a heartbeat recently."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def identities(self) -> list[str]:
        """Identities in the `processes` set, sorted (stale ones included)."""
        found: list[str] = []
        for raw in self.client.sscan_iter(keys.PROCESSES, count=500):
            found.append(_text(raw))
            if len(found) >= MAX_PROCESSES:
                break
        return sorted(found)

    def load(self, identities: list[str]) -> list[Process]:
        """The processes among `identities` whose heartbeat hash still exists."""
        pipe = self.client.pipeline(transaction=False)
        for identity in identities:
            pipe.hmget(identity, list(_FIELDS))
            pipe.lrange(keys.process_signals(identity), 0, 9)
        replies = pipe.execute()
        found = []
        for i, identity in enumerate(identities):
            values, signals = replies[2 * i], replies[2 * i + 1]
            if values[0] is not None or values[2] is not None:
                found.append(build_process(identity, values, signals))
        return found

    def alive(self) -> list[Process]:
        """Every live process, sorted by identity."""
        return self.load(self.identities())

    def running(self, identities: list[str]) -> list[RunningJob]:
        """Jobs running in `identities`, read from `:work` and, if absent, `:workers`."""
        pipe = self.client.pipeline(transaction=False)
        for identity in identities:
            pipe.hgetall(keys.process_work(identity))
            pipe.hgetall(keys.process_workers(identity))
        replies = pipe.execute()
        jobs: list[RunningJob] = []
        for i, identity in enumerate(identities):
            work = replies[2 * i] or replies[2 * i + 1]
            jobs += [build_running(identity, tid, value) for tid, value in work.items()]
        return sorted(jobs, key=lambda job: (job.run_at is None, job.run_at, job.identity))

    def signal(self, identity: str, name: str) -> bool:
        """Send quiet (TSTP) or stop (TERM) to a known process; False if unknown."""
        signal = SIGNALS[name]
        if not self.client.sismember(keys.PROCESSES, identity):
            return False
        pipe = self.client.pipeline(transaction=True)
        pipe.lpush(keys.process_signals(identity), signal)
        pipe.expire(keys.process_signals(identity), SIGNAL_TTL)
        pipe.execute()
        return True
