"""The job record: build it, encode it, and read it back from untrusted bytes.

1. `Payload` is a job being built (a plain dict in Sidekiq's key order).
2. `JobPayload` is a job read back: `loads()` validates it once, where the bytes
   come in, and its typed fields are read from then on without checking again.
   It is the dict as parsed, so keys this app does not know (a Ruby client's
   `wrapped`, `bid`, ...) go back to Redis untouched.
3. `whole()`, `number()` and `positive()` are the one reading of an integer, a
   number or a duration: a JSON `true` is never taken for 1.
4. `salvage()` builds the record of a payload that cannot run, for the dead set.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING, Any

from jobs.exceptions import InvalidPayload

Payload = dict[str, Any]

# Sidekiq 8 writes epoch milliseconds as integers; anything above this is milliseconds.
_MILLIS_THRESHOLD = 100_000_000_000
MAX_JID = 64


def new_jid() -> str:
    """A job id as Sidekiq makes it: 12 random bytes as 24 hex chars."""
    return secrets.token_hex(12)


def new_jids(count: int) -> list[str]:
    """`count` job ids from one call to the OS's random source."""
    text = secrets.token_hex(12 * count)
    return [text[i : i + 24] for i in range(0, 24 * count, 24)]


# One encoder for every payload: json.dumps() with options builds a new one per call.
_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def dumps(payload: Payload) -> str:
    """Encode compactly, refusing NaN; key order is kept as built."""
    return _encoder.encode(payload)


def whole(value: object) -> int | None:
    """`value` if it is a JSON integer (not `true`/`false`), else None."""
    return value if type(value) is int else None


def number(value: object) -> float | None:
    """`value` as a float if it is a JSON number (not a boolean), else None."""
    return float(value) if type(value) is int or type(value) is float else None


def positive(value: object) -> float | None:
    """`value` as seconds if it is a JSON number above zero (not a boolean), else None."""
    seconds = number(value)
    return seconds if seconds is not None and seconds > 0 else None


def epoch(value: object) -> float | None:
    """Read a Sidekiq timestamp: float seconds, or Sidekiq 8's integer milliseconds."""
    if type(value) is int:
        return value / 1000.0 if value > _MILLIS_THRESHOLD else float(value)
    return value if type(value) is float else None


def read_retry_count(fields: Mapping[str, Any]) -> int | None:
    """Retries run so far: None before the first failure (or when the field is not an integer).

    The one reading of `retry_count`, for a checked payload (`JobPayload.retry_count`)
    as for any dict: `whole()`, written out because it runs for every job.
    """
    value = fields.get("retry_count")
    return value if type(value) is int else None


def display_name(payload: Mapping[str, Any]) -> str:
    """What logs show: Sidekiq's `display_class` or `wrapped` (a task's or an ActiveJob's
    own name) when it is a str, else the registered `class`."""
    shown = payload.get("display_class") or payload.get("wrapped") or payload.get("class")
    return shown if type(shown) is str else "(unreadable)"


class JobPayload(dict[str, Any]):
    """A payload read from Redis whose `class`, `args`, `jid` and `queue` were checked.

    Built only by `loads()`; its fields are read without checking again, the optional
    ones through the readers above.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def klass(self) -> str:
            """The job's registered name (`class`)."""

        @property
        def args(self) -> list[Any]: ...

        @property
        def jid(self) -> str: ...

        @property
        def queue(self) -> str:
            """The queue ('default' when absent)."""

    else:
        # C getters: on the worker's hot path a read costs what `payload["jid"]` does.
        klass = property(itemgetter("class"))
        args = property(itemgetter("args"))
        jid = property(itemgetter("jid"))
        queue = property(methodcaller("get", "queue", "default"))

    retry_count = property(read_retry_count, doc="Retries run so far (see read_retry_count).")

    @property
    def display_name(self) -> str:
        """What logs show of this job (see `display_name()`)."""
        return display_name(self)


def loads(raw: bytes | str) -> JobPayload:
    """Decode a job read from Redis, or raise InvalidPayload saying what is wrong."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InvalidPayload(f"payload is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    payload = _parse(text)
    if not isinstance(payload, dict):
        raise InvalidPayload(f"payload is a JSON {type(payload).__name__}, not an object")
    check_fields(payload)
    return JobPayload(payload)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# One decoder for every payload: json.loads() with options builds a new one per call.
_decoder = json.JSONDecoder(parse_constant=_refuse_constant)
# Its C scanner, for the hot path below (decode() adds two regex matches around it).
_scan: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]

# An escaped UTF-16 surrogate: fine in a pair, unwritable alone.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _parse(text: str) -> Any:
    """json.loads that refuses what could not be written back: NaN, Infinity, lone surrogates."""
    value = _scan_object(text)
    if value is None:
        try:
            value = _decoder.decode(text)
        except ValueError as exc:
            raise InvalidPayload(f"payload is not JSON ({exc})") from None
        except RecursionError:
            raise InvalidPayload("payload is JSON nested too deeply to read") from None
    if "\\u" in text and _SURROGATE.search(text):  # the `in` test is a fast memchr
        try:
            dumps(value).encode("utf-8")
        except (UnicodeEncodeError, ValueError):
            raise InvalidPayload("payload has a lone UTF-16 surrogate escape") from None
    return value


def _scan_object(text: str) -> dict[str, Any] | None:
    """The hot path: a payload that is one JSON object and nothing else, read by the C
    scanner directly (skipping decode()'s two whitespace matches); None for anything
    else, which the full decoder then reads or explains."""
    if text[:1] != "{":
        return None
    try:
        value, end = _scan(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return None
    return value if end == len(text) and isinstance(value, dict) else None


def check_fields(payload: Payload) -> None:
    """Raise InvalidPayload unless `class`, `args` and `jid` have usable types."""
    klass = payload.get("class")
    if type(klass) is not str or not klass:
        raise InvalidPayload("payload has no 'class' string")
    if type(payload.get("args")) is not list:
        raise InvalidPayload("payload has no 'args' list")
    jid = payload.get("jid")
    if type(jid) is not str or not 0 < len(jid) <= MAX_JID:
        raise InvalidPayload("payload has no usable 'jid' string")
    queue = payload.get("queue", "default")
    if type(queue) is not str or not queue:
        raise InvalidPayload("payload has no usable 'queue' string")


def parse_leniently(raw: bytes | str) -> dict[str, Any] | None:
    """Whatever JSON object can be read from a payload that failed validation, or None."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        value = _parse(text)
    except InvalidPayload:
        return None
    return value if isinstance(value, dict) else None


def salvage(raw: bytes | str, error: InvalidPayload) -> Payload:
    """Build a well-formed record for a payload we cannot run, so the dead set stays readable.

    What could be read of the original (class, jid, args, queue) is kept; the raw text
    is kept, cut short, under `raw` when no JSON object could be read at all, so nothing
    is hidden from whoever inspects it.
    """
    original = parse_leniently(raw)
    source = original or {}
    klass, jid, args, queue = (source.get(k) for k in ("class", "jid", "args", "queue"))
    record: Payload = {
        "class": klass if isinstance(klass, str) and klass else "(unreadable)",
        "args": args if isinstance(args, list) else [],
        "jid": jid if isinstance(jid, str) and 0 < len(jid) <= MAX_JID else new_jid(),
        "queue": queue if isinstance(queue, str) and queue else "default",
        "retry": False,
        "error_class": type(error).__name__,
        "error_message": str(error),
    }
    if original is None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        record["raw"] = text[:2000]
    return record
