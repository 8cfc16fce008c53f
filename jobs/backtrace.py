"""A failure's Python traceback, bounded, in the field Sidekiq's UI reads (`error_backtrace`).

1. `capture()` writes the traceback as Python prints it, one list item a line
   ("Traceback (most recent call last):", then `File "...", line N, in f` and the
   source line of each frame), the causes of a chained exception first. Bounded:
   at most `frames` frames of each exception (the innermost ones), CHAIN_MAX
   exceptions, LINE_MAX characters a line, TEXT_MAX characters in all. Exception
   messages are left out: the message is `error_message` already, and Sidekiq 6's
   Web UI prints these lines unescaped (it escapes `error_message`).
2. `encode()` / `decode()`: Sidekiq's encoding, base64 of zlib-deflated JSON of the
   lines. `decode()` reads hostile data: the input, the inflated size, the number
   and length of lines are all bounded, and anything odd gives [] or the raw text.
3. `render()` sorts the lines for display: headings, frames, source lines (Python's
   layout) or plain lines (a Ruby backtrace).
"""

from __future__ import annotations

import base64
import binascii
import json
import traceback
import zlib
from types import TracebackType
from typing import Literal, NamedTuple

from jobs.payload import whole

FRAMES = 40  # frames kept of each exception by default (the innermost)
FRAMES_MAX = 200  # the most a `backtrace: N` option may ask for
CHAIN_MAX = 3  # exceptions of a chain (__cause__ / __context__) kept, the last ones
LINE_MAX = 500  # characters a line
TEXT_MAX = 16_384  # characters of all the lines together, before compression

# Reading: what a stored value may cost us at most.
ENCODED_MAX = 2_000_000  # characters of base64 looked at
INFLATED_MAX = 1_000_000  # bytes inflated
SHOWN_LINES = 500
SHOWN_CHARS = 2000

HEADING = "Traceback (most recent call last):"
CAUSE = "The above exception was the direct cause of the following exception:"
CONTEXT = "During handling of the above exception, another exception occurred:"


def frames_wanted(option: object) -> int:
    """Frames to keep for the job's `backtrace` option: absent/True = FRAMES, False/0 = none."""
    if option is None or option is True:
        return FRAMES
    if option is False:
        return 0
    count = whole(option)
    if count is None:
        return FRAMES
    return max(0, min(count, FRAMES_MAX))


def capture(exc: BaseException, frames: int = FRAMES) -> list[str]:
    """The lines of `exc`'s traceback as Python prints them, without messages; bounded."""
    if frames <= 0:
        return []
    chain = _chain(exc)
    lines: list[str] = []
    for index, (error, link) in enumerate(chain):
        if index:
            lines += ["", link, ""]
        lines.append(HEADING)
        lines += _frame_lines(error.__traceback__, frames)
        if index < len(chain) - 1:
            lines.append(_qualified(error))  # the cause's class; its message is not kept
    return _within_budget([line[:LINE_MAX] for line in lines])


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """`exc` and the exceptions it came from, oldest first, at most CHAIN_MAX."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen and len(chain) < CHAIN_MAX:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, CONTEXT
        else:
            current = None
    # Python prints the oldest first; before each later one, how the one before led to it.
    ordered = chain[::-1]
    return [(error, ordered[i - 1][1] if i else "") for i, (error, _) in enumerate(ordered)]


def _frame_lines(tb: TracebackType | None, frames: int) -> list[str]:
    total = 0
    walk = tb
    while walk is not None:
        total += 1
        walk = walk.tb_next
    summary = traceback.extract_tb(tb, limit=-frames) if total else []
    lines = [f"  ... {total - frames} earlier frame(s) left out"] if total > frames else []
    for frame in summary:
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return lines


def _qualified(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    return (
        cls.__qualname__ if module in {"builtins", "__main__"} else f"{module}.{cls.__qualname__}"
    )


def _within_budget(lines: list[str]) -> list[str]:
    """The lines, cut in the middle when together they pass TEXT_MAX characters."""
    if sum(len(line) + 1 for line in lines) <= TEXT_MAX:
        return lines
    half = TEXT_MAX // 2
    head: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > half:
            break
        head.append(line)
        used += len(line) + 1
    tail: list[str] = []
    used = 0
    for line in reversed(lines[len(head) :]):
        if used + len(line) + 1 > half:
            break
        tail.append(line)
        used += len(line) + 1
    left_out = len(lines) - len(head) - len(tail)
    return [*head, f"  ... {left_out} line(s) left out (over {TEXT_MAX} characters)", *tail[::-1]]


def encode(lines: list[str]) -> str:
    """Sidekiq's `error_backtrace`: MIME base64 of zlib-deflated JSON (Ruby's Base64.encode64)."""
    return base64.encodebytes(zlib.compress(json.dumps(lines).encode("utf-8"))).decode("ascii")


def decode(value: object) -> list[str]:
    """The lines of a stored `error_backtrace` (hostile): a JSON list, or Sidekiq's string.

    [] when there is none or it is not a list; the raw text (cut) when it is not
    Sidekiq's encoding or inflates past INFLATED_MAX.
    """
    if isinstance(value, list):
        return _lines(value)
    if not isinstance(value, str) or not value:
        return []
    try:
        packed = base64.b64decode(value[:ENCODED_MAX])
        inflater = zlib.decompressobj()
        text = inflater.decompress(packed, INFLATED_MAX)
        lines = json.loads(text)
    except (ValueError, binascii.Error, zlib.error, RecursionError):
        return [value[:SHOWN_CHARS]]
    return _lines(lines) if isinstance(lines, list) else []


def _lines(items: list[object]) -> list[str]:
    """Text items only, each cut, at most SHOWN_LINES."""
    return [item[:SHOWN_CHARS] for item in items[:SHOWN_LINES] if isinstance(item, str)]


Kind = Literal["heading", "frame", "source", "note", "plain"]


class Line(NamedTuple):
    """One line to show, and what it is."""

    kind: Kind
    text: str


def render(lines: list[str]) -> list[Line]:
    """Lines sorted for display: Python's layout when it is one, else plain lines."""
    if not lines or lines[0] != HEADING:
        return [Line("plain", line) for line in lines]
    shown: list[Line] = []
    for line in lines:
        if line in (HEADING, CAUSE, CONTEXT):
            shown.append(Line("heading", line))
        elif line.startswith('  File "'):
            shown.append(Line("frame", line))
        elif line.startswith("    "):
            shown.append(Line("source", line))
        else:
            shown.append(Line("note", line))
    return shown
