"""What happens to a failed job: pure functions, no Redis (unit-tested with freezegun).

1. `max_retries()` reads Sidekiq's `retry` option: True = the default (25), N = N
   retries, 0 = straight to dead, False = drop the job.
2. `default_delay()` is Sidekiq's backoff: count**4 + 15 + rand(10) * (count + 1).
3. `record_failure()` stamps Sidekiq's error fields on the payload, with the
   Python traceback in `error_backtrace` unless the job's `backtrace` option is
   False (jobs/backtrace.py: bounded, in Sidekiq's encoding).
4. `decide()` combines them with the job's own `retry_in()` answer, and with
   `retry_for` (Sidekiq 7.1+): seconds after the first failure past which a
   failing job goes to dead whatever retries it has left.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from jobs import backtrace as tracebacks
from jobs.payload import Payload, epoch, number, positive, read_retry_count, whole

Verdict = Literal["retry", "dead", "drop"]


@dataclass(frozen=True)
class Decision:
    """Where a failed job goes, and when it runs again (retry only)."""

    verdict: Verdict
    at: float = 0.0
    exhausted: bool = False


def max_retries(option: object, default: int) -> int | None:
    """Retries allowed by the `retry` option; None means drop on failure."""
    if option is False:
        return None
    if option is True or option is None:
        return default
    count = whole(option)
    if count is not None and count >= 0:
        return count
    if isinstance(option, str) and option.isdigit():
        return int(option)
    return default


def _out_of_time(payload: Payload, now: float) -> bool:
    """True when the payload's `retry_for` window, counted from `failed_at`, has passed."""
    window = positive(payload.get("retry_for"))
    if window is None:
        return False
    first = epoch(payload.get("failed_at"))  # Sidekiq 8 writes milliseconds
    return first is not None and first + window < now


def default_delay(count: int, rng: random.Random | None = None) -> float:
    """Sidekiq's backoff in seconds before retry number `count` (0 = after the first failure)."""
    jitter = (rng or random).randrange(10)
    return float(count**4 + 15 + jitter * (count + 1))


def error_class_name(exc: BaseException) -> str:
    """The name shown as `error_class` (the exception's class name, as Ruby shows its)."""
    return type(exc).__qualname__


def record_failure(
    payload: Payload, exc: BaseException, now: float, message_max: int, backtrace: object = None
) -> int:
    """Stamp the failure on `payload` like Sidekiq; return the new retry_count."""
    previous = read_retry_count(payload)
    if previous is not None:
        count = previous + 1
        payload["retried_at"] = now
    else:
        count = 0
        payload["failed_at"] = now
    payload["retry_count"] = count
    payload["error_class"] = error_class_name(exc)
    payload["error_message"] = str(exc)[:message_max]
    lines = _backtrace_lines(exc, backtrace)
    if lines:
        payload["error_backtrace"] = encode_backtrace(lines)
    return count


def _backtrace_lines(exc: BaseException, option: object) -> list[str]:
    """The traceback to keep: on by default, `backtrace: False` (or 0) turns it off."""
    return tracebacks.capture(exc, tracebacks.frames_wanted(option))


# Sidekiq's encoding of `error_backtrace` (kept here for callers of the old names).
encode_backtrace = tracebacks.encode
decode_backtrace = tracebacks.decode


def decide(
    payload: Payload,
    count: int,
    now: float,
    default_retries: int,
    hook: float | int | str | None = None,
) -> Decision:
    """Decide the fate of a job that just failed for the (count+1)-th time.

    `hook` is the job's `retry_in()` answer: seconds, None (default backoff),
    "kill" (dead now) or "discard" (drop now).
    """
    allowed = max_retries(payload.get("retry", True), default_retries)
    if allowed is None or hook == "discard":
        return Decision("drop")
    if hook == "kill":
        return Decision("dead")
    if count >= allowed or _out_of_time(payload, now):
        return Decision("dead", exhausted=True)
    delay = number(hook)
    if delay is None or delay < 0:
        delay = default_delay(count)
    return Decision("retry", at=now + delay)
