"""jobs/backtrace.py: Python's traceback in Sidekiq's error_backtrace, bounded both ways."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from jobs import backtrace
from jobs.backtrace import CAUSE, HEADING, capture, decode, encode, frames_wanted, render


def nested(depth: int) -> None:
    if depth:
        nested(depth - 1)
    raise KeyError("secret <b>message</b>")


def caught(depth: int) -> BaseException:
    try:
        nested(depth)
    except KeyError as exc:
        return exc
    raise AssertionError("nested() always raises")


def test_lines_read_as_python_prints_them_without_the_message() -> None:
    lines = capture(caught(2))
    assert lines[0] == HEADING
    assert lines[1].startswith('  File "')
    assert lines[1].endswith(", in caught")
    assert lines[2] == "    nested(depth)"
    assert lines[-2].endswith(", in nested")
    assert lines[-1] == '    raise KeyError("secret <b>message</b>")'  # source, not message
    assert not any(line.startswith("KeyError") for line in lines)
    kinds = [line.kind for line in render(lines)]
    assert kinds[:3] == ["heading", "frame", "source"]


def test_frames_are_bounded_to_the_innermost() -> None:
    lines = capture(caught(100), frames=5)
    assert lines[1] == "  ... 97 earlier frame(s) left out"
    assert sum(line.startswith('  File "') for line in lines) == 5
    assert frames_wanted(None) == frames_wanted(True) == backtrace.FRAMES
    assert frames_wanted(False) == frames_wanted(0) == 0
    assert frames_wanted(10_000) == backtrace.FRAMES_MAX
    assert frames_wanted("junk") == backtrace.FRAMES


def test_text_is_bounded_in_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backtrace, "TEXT_MAX", 600)
    lines = capture(caught(100), frames=100)
    assert sum(len(line) + 1 for line in lines) <= 600 + 100
    assert any("line(s) left out" in line for line in lines)
    assert lines[0] == HEADING
    assert lines[-1].startswith("    raise KeyError")


def test_a_chain_prints_its_cause_first() -> None:
    try:
        try:
            nested(0)
        except KeyError as inner:
            raise RuntimeError("outer") from inner
    except RuntimeError as exc:
        lines = capture(exc)
    assert lines.count(HEADING) == 2
    assert CAUSE in lines
    assert lines[lines.index(CAUSE) - 2] == "KeyError"  # the cause's class, no message
    assert lines[-1].strip() == 'raise RuntimeError("outer") from inner'


def test_round_trip_in_sidekiqs_encoding() -> None:
    lines = capture(caught(1))
    packed = encode(lines)
    assert "\n" in packed or len(packed) < 77  # MIME base64, as Ruby's Base64.encode64
    assert json.loads(zlib.decompress(base64.b64decode(packed))) == lines
    assert decode(packed) == lines


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(zlib.compress(b'{"not": "a list"}')).decode(),
        base64.b64encode(zlib.compress(b"[1, 2, {}, null]")).decode(),
        42,
        None,
        "",
    ],
)
def test_odd_values_give_no_lines(value: object) -> None:
    assert decode(value) == []


def test_deep_nesting_is_shown_raw() -> None:
    deep = base64.b64encode(zlib.compress(b"[" * 100_000)).decode()
    assert decode(deep) == [deep[:2000]]


def test_a_bomb_is_cut_and_shown_raw() -> None:
    bomb = base64.b64encode(zlib.compress(b'["' + b"x" * 50_000_000 + b'"]')).decode()
    lines = decode(bomb)
    assert lines == [bomb[:2000]]


def test_many_and_long_lines_are_cut() -> None:
    assert len(decode(encode(["y"] * 10_000))) == backtrace.SHOWN_LINES
    lines = decode(encode(["y" * 10_000] * 10))
    assert {len(line) for line in lines} == {backtrace.SHOWN_CHARS}


def test_ruby_lines_render_plain() -> None:
    assert [line.kind for line in render(["app.rb:3:in `perform'"])] == ["plain"]
