"""A realistic day in Redis, for screenshots: queues, failures, processes, 90 days of stats."""

from __future__ import annotations

import base64
import json
import random
import time
import zlib
from datetime import UTC, datetime, timedelta

import redis

from jobs.payload import new_jid
from jobs.recurring import store
from tests.dashboard.seed import add, failed, job, process, push

BACKTRACE = [
    "/app/myapp/jobs.py:41:in perform",
    "/app/jobs/worker/executor.py:88:in run",
    "/usr/lib/python3.11/smtplib.py:341:in connect",
]


def seed_realistic(r: redis.Redis) -> None:
    """Fill Redis with what a busy small app would show."""
    rng = random.Random(7)
    now = time.time()
    for i in range(12):
        push(r, "mailers", job(**{"class": "myapp.jobs.MoodSenderJob", "queue": "mailers",
                                  "args": [f"user{i}@example.com", "happy"],
                                  "enqueued_at": now - 40 + i}))  # fmt: skip
    for i in range(3):
        push(
            r,
            "default",
            job(
                **{
                    "class": "myapp.jobs.ReportJob",
                    "args": [{"report_id": 100 + i, "api_token": "t"}],
                }
            ),
        )
    packed = base64.encodebytes(zlib.compress(json.dumps(BACKTRACE).encode())).decode()
    for i in range(8):
        add(r, "retry", failed(**{"class": "myapp.jobs.MoodSenderJob", "queue": "mailers",
                                  "args": [f"late{i}@example.com", "sad"],
                                  "error_class": "smtplib.SMTPServerDisconnected",
                                  "error_message": "Connection unexpectedly closed",
                                  "retry_count": i % 4, "error_backtrace": packed}), now + 30 * (i + 1))  # fmt: skip
    for i in range(5):
        add(
            r,
            "schedule",
            job(**{"class": "myapp.jobs.DigestJob", "args": [i]}),
            now + 600 * (i + 1),
        )
    for i in range(4):
        add(r, "dead", failed(**{"class": "myapp.jobs.ImportJob", "args": [f"s3://bucket/file{i}.csv"],
                                 "error_class": "KeyError", "error_message": "'email'",
                                 "retry_count": 25}), now - 3600 * (i + 1))  # fmt: skip
    r.zadd("retry", {'{"class": "Legacy", "args": [1], "jid": "not really json"': now + 5})
    process(r, "web-1:311:5d8c1a2b3c4d", busy=2, running=[
        job(**{"class": "myapp.jobs.MoodSenderJob", "queue": "mailers", "args": ["ann@example.com", "ok"]}),
        job(**{"class": "myapp.jobs.ReportJob", "args": [{"report_id": 7}]}),
    ])  # fmt: skip
    process(r, "worker-2:87:0a1b2c3d4e5f", busy=0, tag="ruby", version="6.4.1", sidekiq6=True)
    today = datetime.now(UTC).date()
    for back in range(90):
        day = (today - timedelta(days=back)).isoformat()
        r.set(f"stat:processed:{day}", rng.randint(800, 1600))
        r.set(f"stat:failed:{day}", rng.randint(0, 80))
    r.set("stat:processed", 118_402)
    r.set("stat:failed", 2_113)


RECURRING_SCHEDULE = {
    "hourly-cleanup": {"cron": "0 * * * *", "class": "tests.testapp.jobs.RecordJob",
                       "args": ["sessions"], "description": "Delete expired sessions and exports"},
    "heartbeat": {"every": "30s", "class": "tests.testapp.jobs.TickJob", "args": ["beat"],
                  "queue": "critical", "description": "Tell the status page we are alive"},
    "nightly-report": {"cron": "30 2 * * *", "class": "tests.testapp.jobs.RecordJob",
                       "args": ["report"], "tz": "Europe/Berlin",
                       "description": "Email yesterday's numbers to the team"},
    "weekday-digest": {"cron": "0 9 * * 1-5", "class": "tests.testapp.jobs.RecordJob",
                       "args": ["digest"], "queue": "mailers", "enabled": False},
    "weekly-export": {"every": "1w", "class": "tests.testapp.jobs.RecordJob"},
}  # fmt: skip


def seed_recurring(r: redis.Redis) -> None:
    """The state workers leave in Redis for RECURRING_SCHEDULE: last jobs and their fate."""
    now = time.time()
    states = {
        "hourly-cleanup": {"enqueued_at": now - 1260, "status": "succeeded", "manual": "0"},
        "heartbeat": {"enqueued_at": now - 12, "status": "running", "manual": "0"},
        "nightly-report": {"enqueued_at": now - 5400, "status": "retrying", "manual": "1",
                           "enabled": "0"},
    }  # fmt: skip
    for name, state in states.items():
        fields = {**state, "jid": new_jid(), "status_at": state["enqueued_at"] + 2}
        r.hset(store.state_key(name), mapping=fields)


# What a list row of a real app holds: long dotted classes, mail jobs, tasks, errors.
LIST_KINDS = [
    ({"class": "myapp.notifications.jobs.MoodSenderJob", "args": ["user{i}@example.com", "happy"]},
     "smtplib.SMTPServerDisconnected", "Connection unexpectedly closed while sending to mx{i}.example.com"),
    ({"class": "jobs.mail.jobs.MailDeliveryJob", "queue": "mailers",
      "args": ["myapp.mailers.MoodMailer", "mood", [10 + 0, "weekly"], "de"]},
     "smtplib.SMTPRecipientsRefused", "{'ann{i}@example.com': (450, b'4.2.0 Mailbox temporarily unavailable')}"),
    ({"class": "jobs.tasks.TaskJob", "display_class": "myapp.search.tasks.rebuild_search_index",
      "args": [[{"shard": "{i}"}], {"full": True}]},
     "django.db.utils.OperationalError", "could not connect to server: Connection refused (port 5432)"),
    ({"class": "myapp.billing.jobs.ChargeInvoiceJob", "args": [{"invoice_id": "{i}", "amount_cents": 129900,
                                                                "currency": "EUR", "customer": "cus_{i}xYz"}]},
     "stripe.error.CardError", "Your card was declined. Request req_{i}AbCdEf: decline_code=insufficient_funds"),
]  # fmt: skip


def seed_lists(r: redis.Redis, count: int = 30) -> None:
    """`count` realistic jobs in each of retry, dead, schedule and queue `default`."""
    now = time.time()
    for i in range(count):
        fields, error_class, message = LIST_KINDS[i % len(LIST_KINDS)]
        shown = json.loads(json.dumps(fields).replace("{i}", str(i)))
        error = {"error_class": error_class, "error_message": message.replace("{i}", str(i)),
                 "retry_count": i % 25}  # fmt: skip
        add(r, "retry", failed(**shown, **error), now + 60 * (i + 1))
        add(r, "dead", failed(**shown, **error), now - 3600 * (i + 1))
        add(r, "schedule", job(**shown), now + 600 * (i + 1))
        push(r, "default", job(**{**shown, "queue": "default"}))
