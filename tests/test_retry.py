"""Backoff, retry option semantics and failure records, as pure functions."""

from __future__ import annotations

import random

import pytest
from freezegun import freeze_time

from jobs.retry import decide, decode_backtrace, default_delay, max_retries, record_failure


@pytest.mark.parametrize(
    ("option", "expected"),
    [(True, 25), (None, 25), (5, 5), (0, 0), (False, None), ("3", 3), ("junk", 25), (-1, 25)],
)
def test_max_retries_reads_sidekiq_option(option: object, expected: int | None) -> None:
    assert max_retries(option, 25) == expected


@pytest.mark.parametrize("count", [0, 1, 2, 5, 10, 24])
def test_default_delay_is_sidekiq_formula(count: int) -> None:
    delays = {default_delay(count, random.Random(seed)) for seed in range(200)}
    low = count**4 + 15
    high = low + 9 * (count + 1)
    assert min(delays) == low
    assert max(delays) == high
    assert all((d - low) % (count + 1) == 0 for d in delays)


@freeze_time("2026-11-22 10:00:00")
def test_first_and_later_failures_stamp_sidekiq_fields() -> None:
    payload: dict[str, object] = {"class": "X", "args": [], "jid": "j", "retry": True}
    now = 1_795_000_000.0
    count = record_failure(payload, ValueError("boom " * 5000), now, 10_000)
    assert count == 0
    assert payload["failed_at"] == now
    assert "retried_at" not in payload
    assert payload["error_class"] == "ValueError"
    assert isinstance(payload["error_message"], str)
    assert len(payload["error_message"]) == 10_000
    count = record_failure(payload, KeyError("k"), now + 60, 10_000)
    assert count == 1
    assert payload["failed_at"] == now  # first failure kept
    assert payload["retried_at"] == now + 60
    assert payload["error_class"] == "KeyError"


def test_backtrace_round_trips_in_sidekiq_encoding() -> None:
    def explode() -> None:
        raise RuntimeError("deep")

    payload: dict[str, object] = {"class": "X", "args": [], "jid": "j"}
    try:
        explode()
    except RuntimeError as exc:
        record_failure(payload, exc, 0.0, 100, backtrace=True)
    lines = decode_backtrace(str(payload["error_backtrace"]))
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-2].endswith(", in explode")
    assert lines[-1] == '    raise RuntimeError("deep")'


def test_backtrace_is_kept_by_default_and_off_when_asked() -> None:
    try:
        raise ValueError("x")
    except ValueError as exc:
        kept: dict[str, object] = {"class": "X", "args": [], "jid": "j"}
        record_failure(kept, exc, 0.0, 100)
        off: dict[str, object] = {"class": "X", "args": [], "jid": "j"}
        record_failure(off, exc, 0.0, 100, backtrace=False)
    assert decode_backtrace(str(kept["error_backtrace"]))[0].startswith("Traceback")
    assert "error_backtrace" not in off


@pytest.mark.parametrize(
    ("retry", "count", "hook", "verdict"),
    [
        (True, 0, None, "retry"),
        (True, 24, None, "retry"),
        (True, 25, None, "dead"),
        (2, 1, None, "retry"),
        (2, 2, None, "dead"),
        (0, 0, None, "dead"),
        (False, 0, None, "drop"),
        (True, 0, "kill", "dead"),
        (True, 0, "discard", "drop"),
        (False, 0, "kill", "drop"),
    ],
)
def test_decide(retry: object, count: int, hook: object, verdict: str) -> None:
    decision = decide({"retry": retry}, count, 1000.0, 25, hook)  # type: ignore[arg-type]
    assert decision.verdict == verdict
    if verdict == "retry":
        assert 1000 + count**4 + 15 <= decision.at <= 1000 + count**4 + 15 + 9 * (count + 1)


def test_hook_delay_overrides_backoff() -> None:
    assert decide({"retry": True}, 3, 1000.0, 25, 7).at == 1007.0
    assert decide({"retry": True}, 3, 1000.0, 25, 0).at == 1000.0


def test_retry_for_sends_a_job_to_dead_once_its_window_has_passed() -> None:
    failed = 1_790_000_000.0  # 2026
    within = {"retry": True, "retry_for": 60, "failed_at": failed}
    assert decide(within, 3, failed + 59, 25).verdict == "retry"
    passed = decide(within, 3, failed + 61, 25)
    assert (passed.verdict, passed.exhausted) == ("dead", True)
    # Sidekiq 8 writes failed_at in epoch milliseconds.
    millis = {"retry": True, "retry_for": 60, "failed_at": int(failed * 1000)}
    assert decide(millis, 1, failed + 61, 25).verdict == "dead"
    assert decide(millis, 1, failed + 30, 25).verdict == "retry"
    # The count still applies; an unusable window is ignored.
    assert decide({**within, "retry": 2}, 2, failed + 1, 25).verdict == "dead"
    for junk in ("60", True, -5, None):
        assert decide({**within, "retry_for": junk}, 3, failed + 10**6, 25).verdict == "retry"


def test_exhausted_flag_only_when_retries_ran_out() -> None:
    assert decide({"retry": 1}, 1, 0.0, 25).exhausted
    assert not decide({"retry": True}, 0, 0.0, 25, "kill").exhausted
