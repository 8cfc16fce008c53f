"""jobs/completion.py: the Completion record and the per-thread collector of writes."""

from __future__ import annotations

import threading

import pytest

from jobs.completion import Completion, take_writes, write_with_ack


def test_a_completion_is_a_plain_ack_with_no_writes_by_default() -> None:
    completion = Completion(b"job")
    assert (completion.kind, completion.member, completion.score) == ("ack", "", 0.0)
    assert completion.writes == ()


def test_writes_are_collected_in_order_and_taken_once() -> None:
    assert take_writes() == ()
    write_with_ack("HSET", "k", "status", "SUCCESSFUL")
    write_with_ack(("EXPIRE", "k", 86400))
    write_with_ack(b"INCRBYFLOAT", b"n", 1.5)
    assert take_writes() == (
        ("HSET", "k", "status", "SUCCESSFUL"),
        ("EXPIRE", "k", 86400),
        ("INCRBYFLOAT", b"n", 1.5),
    )
    assert take_writes() == ()


def test_each_thread_collects_its_own_writes() -> None:
    write_with_ack("SET", "mine", 1)
    seen: list[tuple[object, ...]] = []
    other = threading.Thread(
        target=lambda: (write_with_ack("SET", "theirs", 2), seen.extend(take_writes()))
    )
    other.start()
    other.join()
    assert seen == [("SET", "theirs", 2)]
    assert take_writes() == (("SET", "mine", 1),)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ((), "needs a command"),
        ((7, "k"), "command name must be a str"),
        (("SET", "k", None), "None is not str, bytes, int or float"),
        (("SET", "k", True), "True is not str, bytes, int or float"),
        (("SET", "k", ["v"]), r"\['v'\] is not str"),
    ],
)
def test_a_command_redis_cannot_take_is_refused_at_once(
    command: tuple[object, ...], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        write_with_ack(*command)  # type: ignore[arg-type]
    assert take_writes() == ()
