"""Jobs the tests run in real worker processes. Each records its runs in Redis (`ledger:*`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import redis

from jobs import Discard, Job, Retry
from jobs.completion import write_with_ack
from jobs.conf import get_settings
from tests import acl


def ledger() -> redis.Redis:
    """The test's bookkeeping connection: the admin's, on the server the worker uses.

    The test jobs' own commands (BLPOP, SET) are not the project's, so they are not
    the least-privilege user's (tests/acl.py).
    """
    return redis.Redis.from_url(acl.admin_url(get_settings().REDIS_URL))


class RecordJob(Job):
    """Append the jid to `ledger:runs` and the arg to `ledger:args`."""

    def perform(self, value: Any = None) -> None:
        client = ledger()
        pipe = client.pipeline()
        pipe.rpush("ledger:runs", self.jid)
        pipe.rpush("ledger:args", str(value))
        pipe.rpush(f"ledger:queue:{self.queue}", self.jid)
        pipe.execute()


class SlowJob(Job):
    """Mark the start, sleep, mark the end."""

    timeout = None

    def perform(self, seconds: float, mark: str = "") -> None:
        client = ledger()
        client.rpush("ledger:started", self.jid)
        time.sleep(seconds)
        client.rpush("ledger:finished", self.jid)


class FailJob(Job):
    """Fail `times` times, then succeed."""

    retry = 5

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 0

    def perform(self, times: int) -> None:
        client = ledger()
        run = client.incr(f"ledger:fail:{self.jid}")
        if run <= times:
            raise ValueError(f"failure {run} of {times}")
        client.rpush("ledger:runs", self.jid)


class FailSlowlyJob(FailJob):
    """FailJob whose retries wait 0.5 s in `retry`, where a test can catch the record."""

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 0.5


class AlwaysFailJob(Job):
    retry = 2

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 0

    def perform(self) -> None:
        ledger().incr(f"ledger:fail:{self.jid}")
        raise RuntimeError("always")


class RetryEarlyJob(Job):
    def perform(self) -> None:
        if ledger().incr(f"ledger:retry:{self.jid}") == 1:
            raise Retry(in_=0)
        ledger().rpush("ledger:runs", self.jid)


class DiscardJob(Job):
    def perform(self) -> None:
        raise Discard()


class CrashJob(Job):
    """Kill the worker process from inside the job."""

    def perform(self) -> None:
        ledger().incr(f"ledger:crash:{self.jid}")
        os._exit(1)


class TimeoutJob(Job):
    timeout = 1

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 3600

    def perform(self, seconds: float) -> None:
        ledger().rpush("ledger:started", self.jid)
        time.sleep(seconds)
        ledger().rpush("ledger:finished", self.jid)


class NamedJob(Job):
    name = "NamedRubyStyleJob"

    def perform(self, value: int) -> None:
        ledger().rpush("ledger:runs", self.jid)


class IncrJob(Job):
    """The benchmark's job body: INCR a counter; the N-th run records the end."""

    _client: redis.Redis | None = None

    def perform(self, n: int) -> None:
        client = IncrJob._client
        if client is None:
            client = IncrJob._client = ledger()
        done = client.incr("bench:done")
        if done == n:
            client.set("bench:last", repr(time.time()))


class TickJob(Job):
    """Recurring-jobs tests: record the tick this run was enqueued for, per label."""

    def perform(self, label: str) -> None:
        tick = self.payload.get("recurring_tick", "manual")
        ledger().rpush(f"ledger:ticks:{label}", f"{tick}:{self.jid}")


class LedgerJob(Job):
    """Reliability suites: a start row, `ms` milliseconds of sleep, an end row.

    The rows go to the SQLite ledger named by $JOBS_LEDGER (tests.reliability.ledger),
    outside the Redis under test, so lost and duplicated runs are counted, not guessed.
    """

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 1

    def perform(self, ms: int, tag: str = "") -> None:
        from tests.reliability import ledger as book

        book.record("start", self.jid, tag)
        time.sleep(ms / 1000)
        book.record("end", self.jid, tag)


class SpinJob(Job):
    """Hold the GIL in a pure-Python loop for `seconds`, between ledger start and end rows."""

    def perform(self, seconds: float, tag: str = "") -> None:
        from tests.reliability import ledger as book

        book.record("start", self.jid, tag)
        deadline = time.monotonic() + seconds
        total = 0
        while time.monotonic() < deadline:
            for number in range(10_000):
                total += number * number % 7
        book.record("end", self.jid, tag)


class BarrierJob(Job):
    """Start, then wait until `n` jobs with this `tag` have started (at most `seconds`), end.

    `n` of these all ending proves `n` threads were alive and running at the same time.
    """

    def perform(self, n: int, tag: str, seconds: float = 15.0) -> None:
        from tests.reliability import ledger as book

        book.record("start", self.jid, tag)
        deadline = time.monotonic() + seconds
        while book.count("start", tag) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        book.record("end", self.jid, tag)


class InteropEchoJob(Job):
    """Interop tests: record the jid, queue and arguments, as JSON, in `ledger:echo`."""

    def perform(self, *args: Any) -> None:
        from jobs.payload import dumps

        entry = {"jid": self.jid, "queue": self.queue, "args": list(args)}
        ledger().rpush("ledger:echo", dumps(entry))


class InteropFailJob(Job):
    """Interop tests: fail with `message`; the next try comes `delay` seconds later."""

    def retry_in(self, count: int, exc: BaseException) -> float:
        args = self.payload.get("args", [])
        return float(args[1]) if len(args) > 1 else 3600.0

    def perform(self, message: str, delay: float = 3600.0) -> None:
        ledger().incr(f"ledger:fail:{self.jid}")
        raise ValueError(message)


class InteropHoldJob(Job):
    """Interop tests: hold a thread until `ledger:release` gets an item (30 s at most)."""

    def perform(self, label: str) -> None:
        client = ledger()
        client.rpush("ledger:held", self.jid)
        client.blpop(["ledger:release"], timeout=30)


class HardWorker(Job):
    """Interop tests: Ruby's `HardWorker` (tests/interop/ruby/workers.rb), enqueued from here.

    Only a Ruby worker reads its queue; this class gives the name, queue and arguments.
    """

    name = "HardWorker"
    queue = "ruby"

    def perform(self, who: str, count: int) -> None:
        raise NotImplementedError("HardWorker runs in Ruby")


class LedgerFailJob(Job):
    """Record a start in the SQLite ledger and fail: retried once at once, then dead."""

    retry = 1

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 0

    def perform(self, tag: str = "") -> None:
        from tests.reliability import ledger as book

        book.record("start", self.jid, tag)
        raise RuntimeError("fails on purpose")


class AffinityJob(Job):
    """Record the cores this job's thread may use, or (`spawn`) those a program it starts sees.

    Appends JSON `{"thread": [...], "child": [...] or null}` to `ledger:affinity`.
    """

    _client: redis.Redis | None = None

    def perform(self, mode: str = "report", seconds: float = 0.0) -> None:
        if seconds:
            time.sleep(seconds)
        thread = sorted(os.sched_getaffinity(0))
        child = None
        if mode == "spawn":
            code = "import os; print(sorted(os.sched_getaffinity(0)))"
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
            child = json.loads(out.stdout)
        if AffinityJob._client is None:  # one connection: the job stays well under 5 ms
            AffinityJob._client = ledger()
        AffinityJob._client.rpush("ledger:affinity", json.dumps({"thread": thread, "child": child}))


class RetryForJob(AlwaysFailJob):
    """AlwaysFailJob with every retry allowed, until 1 s after the first failure (retry_for).

    Retries 0.1 s apart: the poller is punctual, so retries at 0 s would use up all 25
    within the window and end by count instead.
    """

    retry = True
    retry_for = 1

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 0.1


class WriteWithAckJob(Job):
    """Ask for `HSET key outcome <outcome>` with the ack, wait for `<key>:go`, then end so.

    `outcome`: "ok" and "discard" (acked), anything else fails: into the retry set for
    an hour, or to dead or dropped as the enqueue's `retry` option says.
    """

    retry = 1

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 3600

    def perform(self, key: str, outcome: str = "ok") -> None:
        write_with_ack("HSET", key, "outcome", outcome)
        write_with_ack(("EXPIRE", key, 86400))
        client = ledger()
        client.rpush("ledger:started", self.jid)
        deadline = time.monotonic() + 30
        while not client.exists(f"{key}:go") and time.monotonic() < deadline:
            time.sleep(0.01)
        if outcome == "discard":
            raise Discard()
        if outcome != "ok":
            raise RuntimeError(f"asked to end as {outcome}")


class LedgerRetryInJob(Job):
    """Record a start in the SQLite ledger; the first run asks for a retry in `seconds`."""

    def perform(self, seconds: float, tag: str) -> None:
        from tests.reliability import ledger as book

        book.record("start", self.jid, tag)
        if book.count("start", tag) == 1:
            raise Retry(in_=seconds)
        book.record("end", self.jid, tag)


class PidJob(Job):
    """`runworker --processes` tests: record which process ran the job, after `seconds`."""

    def perform(self, seconds: float = 0.0) -> None:
        time.sleep(seconds)
        ledger().rpush("ledger:pids", f"{os.getpid()}:{self.jid}")


# HogJob's allocations stay until the process exits, as a leak's would.
_hoard: list[bytearray] = []


class HogJob(Job):
    """Grow this process's RSS by `mb` MiB (kept), mark the start, sleep, mark the end."""

    timeout = None

    def perform(self, mb: int, seconds: float) -> None:
        block = bytearray(mb * 1024 * 1024)
        for offset in range(0, len(block), 4096):  # touch every page: resident, not reserved
            block[offset] = 1
        _hoard.append(block)
        client = ledger()
        client.rpush("ledger:started", self.jid)
        time.sleep(seconds)
        client.rpush("ledger:finished", self.jid)


from tests.testapp import flow_jobs  # noqa: E402,F401  (registers the flow-control test jobs)
