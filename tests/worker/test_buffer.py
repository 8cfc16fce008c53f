"""The work buffer (jobs/worker/buffer.py): idle threads, blockers' offers, prefetched extras."""

from __future__ import annotations

import threading

from jobs.worker.buffer import NUDGE, WorkBuffer
from tests.helpers import HandClock, wait_for


def idle_thread(buffer: WorkBuffer, timeout: float = 5.0) -> tuple[threading.Thread, list[object]]:
    """A thread waiting in take(); its result lands in the returned list."""
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(buffer.take(timeout)), daemon=True)
    thread.start()
    wait_for(lambda: buffer.wait_for_idle(0.01), 5, what="the thread to wait idle")
    return thread, got


def test_an_offer_needs_an_idle_thread() -> None:
    buffer = WorkBuffer()
    assert not buffer.offer(b"job")
    assert len(buffer) == 0
    thread, got = idle_thread(buffer)
    assert buffer.offer(b"job")
    assert not buffer.offer(b"second"), "one idle thread takes one offered job"
    thread.join(5)
    assert got == [b"job"]


def test_stashed_extras_are_taken_first_in_first_out() -> None:
    buffer = WorkBuffer()
    buffer.stash([b"a", b"b"])
    buffer.stash([b"c"])
    assert buffer.snapshot() == [b"a", b"b", b"c"]
    assert [buffer.poll(), buffer.take(0.01), buffer.poll(), buffer.poll()] == [
        b"a",
        b"b",
        b"c",
        None,
    ]


def test_stale_extras_are_taken_out_by_age() -> None:
    clock = HandClock()
    buffer = WorkBuffer(clock)
    buffer.stash([b"old"])
    clock.now += 0.2
    buffer.stash([b"new"])
    clock.now += 0.1
    assert buffer.take_stale(0.25) == [b"old"]
    assert buffer.take_stale(0.25) == []
    clock.now += 0.2
    assert buffer.take_stale(0.25) == [b"new"]
    assert len(buffer) == 0


def test_a_nudge_wakes_one_idle_thread_to_fetch_for_itself() -> None:
    buffer = WorkBuffer()
    buffer.nudge()  # nobody idle: nothing to wake, nothing kept for later
    assert buffer.take(0.01) is None
    thread, got = idle_thread(buffer)
    buffer.nudge()
    thread.join(5)
    assert got == [NUDGE]


def test_close_wakes_every_waiter_and_leaves_jobs_to_take() -> None:
    buffer = WorkBuffer()
    threads = [idle_thread(buffer, timeout=30.0) for _ in range(2)]
    blocker_saw: list[bool] = []
    blocker = threading.Thread(target=lambda: blocker_saw.append(buffer.wait_for_idle(30.0)))
    buffer.stash([b"a", b"b"])  # each idle thread now has a job: the blocker must wait
    for thread, _ in threads:
        thread.join(5)
    blocker.start()
    buffer.stash([b"left"])
    buffer.close()
    blocker.join(5)
    assert blocker_saw == [False]
    assert buffer.closed
    assert not buffer.offer(b"late")
    assert sorted(got[0] for _, got in threads) == [b"a", b"b"]  # type: ignore[type-var]
    assert buffer.take(30.0) == b"left"
    assert buffer.take(30.0) is None  # closed and empty: at once


def test_drain_empties_the_buffer() -> None:
    buffer = WorkBuffer()
    buffer.stash([b"a", b"b"])
    assert buffer.drain() == [b"a", b"b"]
    assert buffer.snapshot() == []
