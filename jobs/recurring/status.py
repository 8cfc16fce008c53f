"""Follow what becomes of recurring jobs, for the dashboard: running, succeeded, failed...

Recurring payloads carry `"recurring": <entry name>`; the job signals of the
worker that runs one write its status into the entry's hash (only while it is
still the entry's last job). A status write never fails the job.
"""

from __future__ import annotations

import logging
from typing import Any

import redis

from jobs import signals
from jobs.recurring import store
from jobs.runtime.clock import Clock

logger = logging.getLogger("jobs.recurring")

# Signal -> status shown for the entry's last job. A failure sends job_failed,
# then job_retried or job_dead, so the last word is the outcome.
STATUSES = {
    signals.job_started: "running",
    signals.job_succeeded: "succeeded",
    signals.job_failed: "failed",
    signals.job_retried: "retrying",
    signals.job_dead: "dead",
    signals.job_discarded: "discarded",
}


class _Target:
    """Where statuses go: set by connect(), cleared by disconnect()."""

    client: redis.Redis | None = None
    clock: Clock | None = None


def connect(client: redis.Redis, clock: Clock) -> None:
    """Write statuses through `client`, timed by `clock`; connecting twice is harmless."""
    _Target.client, _Target.clock = client, clock
    for signal, name in STATUSES.items():
        signal.connect(_receiver(name), dispatch_uid=f"jobs.recurring.status.{name}", weak=False)


def disconnect() -> None:
    """Stop recording statuses (tests)."""
    _Target.client = _Target.clock = None
    for signal, name in STATUSES.items():
        signal.disconnect(dispatch_uid=f"jobs.recurring.status.{name}")


def _receiver(status: str) -> Any:
    def receive(sender: object, payload: dict[str, Any], **kwargs: Any) -> None:
        record(payload, status)

    return receive


def record(payload: dict[str, Any], status: str) -> None:
    """Record `status` for the entry that enqueued `payload`, if it is a recurring job."""
    name, jid = payload.get("recurring"), payload.get("jid")
    client, clock = _Target.client, _Target.clock
    if not isinstance(name, str) or not isinstance(jid, str) or client is None or clock is None:
        return
    try:
        store.record_status(client, name, jid, status, clock.now())
    except redis.RedisError as exc:
        logger.debug("recurring %s: could not record status %s of %s: %s", name, status, jid, exc)
