"""What became of a mood email, for the thanks page: the worker's job signals write it down.

The worker sends `jobs.signals` around every job it runs; for the demo's deliveries
(`MailDeliveryJob` running `MoodMailer`) the receivers below keep the latest state in a
small Redis hash, `mood:state:<jid>`, for an hour. The thanks page reads it (and polls
`state.json`). No hash yet means the job is still waiting in its queue.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import redis

from jobs import signals
from jobs.mail.jobs import MailDeliveryJob
from jobs.mail.registry import mailer_name
from jobs.redis.connection import get_redis
from project.mood.mailers import MoodMailer

logger = logging.getLogger("project.mood")

KEEP_SECONDS = 3600
JID = re.compile(r"[0-9a-f]{24}")
STATES = {
    signals.job_started: "running",
    signals.job_succeeded: "done",
    signals.job_retried: "retrying",
    signals.job_dead: "failed",
    signals.job_discarded: "failed",
}
# What the thanks page says for each state.
WORDS = {
    "queued": "Waiting for a worker to pick it up.",
    "running": "A worker is writing your email now.",
    "done": "Done: the email is sent.",
    "retrying": "Sending failed; the worker will try again shortly.",
    "failed": "Sending failed for good; see the Dead tab of the jobs dashboard.",
    "unknown": "Cannot tell right now: Redis does not answer.",
}


def key(jid: str) -> str:
    return f"mood:state:{jid}"


def connect() -> None:
    """Record the state of mood deliveries (in the worker; harmless in the web process)."""
    for signal, state in STATES.items():
        signal.connect(
            _receiver(state),
            sender=MailDeliveryJob,
            dispatch_uid=f"project.mood.progress.{state}",
            weak=False,
        )


def _receiver(state: str) -> Any:
    def receive(sender: object, payload: dict[str, Any], **kwargs: Any) -> None:
        if sender is MailDeliveryJob and is_mood_delivery(payload):
            record(str(payload.get("jid", "")), state)

    return receive


def is_mood_delivery(payload: dict[str, Any]) -> bool:
    args = payload.get("args")
    return isinstance(args, list) and bool(args) and args[0] == mailer_name(MoodMailer)


def record(jid: str, state: str) -> None:
    """Write `state` for `jid`; a failed write never fails the job."""
    if not JID.fullmatch(jid):
        return
    try:
        pipe = get_redis().pipeline()
        pipe.hset(key(jid), "state", state)
        pipe.expire(key(jid), KEEP_SECONDS)
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("could not record mood job %s as %s: %s", jid, state, exc)


def read(jid: str) -> str:
    """The latest state of `jid`: queued (nothing recorded yet), running, done, ..."""
    try:
        value = get_redis().hget(key(jid), "state")
    except redis.RedisError:
        return "unknown"
    state = value.decode(errors="replace") if isinstance(value, bytes) else "queued"
    return state if state in WORDS else "unknown"
