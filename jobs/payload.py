"""The job record: build it, encode it, and read it back from untrusted bytes."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from jobs.exceptions import InvalidPayload

Payload = dict[str, Any]

# Sidekiq 8 writes epoch milliseconds as integers; anything above this is milliseconds.
_MILLIS_THRESHOLD = 100_000_000_000


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


def epoch(value: object) -> float | None:
    """Read a Sidekiq timestamp: float seconds, or Sidekiq 8's integer milliseconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and value > _MILLIS_THRESHOLD:
        return value / 1000.0
    return float(value)


def loads(raw: bytes | str) -> Payload:
    """Decode a job read from Redis, or raise InvalidPayload saying what is wrong."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InvalidPayload(f"payload is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    payload = _parse(text)
    if not isinstance(payload, dict):
        raise InvalidPayload(f"payload is a JSON {type(payload).__name__}, not an object")
    check_fields(payload)
    return payload


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# One decoder for every payload: json.loads() with options builds a new one per call.
_decoder = json.JSONDecoder(parse_constant=_refuse_constant)

# An escaped UTF-16 surrogate: fine in a pair, unwritable alone.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _parse(text: str) -> Any:
    """json.loads that refuses what could not be written back: NaN, Infinity, lone surrogates."""
    try:
        value = _decoder.decode(text)
    except ValueError as exc:
        raise InvalidPayload(f"payload is not JSON ({exc})") from None
    except RecursionError:
        raise InvalidPayload("payload is JSON nested too deeply to read") from None
    if _SURROGATE.search(text):
        try:
            dumps(value).encode("utf-8")
        except (UnicodeEncodeError, ValueError):
            raise InvalidPayload("payload has a lone UTF-16 surrogate escape") from None
    return value


def check_fields(payload: Payload) -> None:
    """Raise InvalidPayload unless `class`, `args` and `jid` have usable types."""
    if not isinstance(payload.get("class"), str) or not payload["class"]:
        raise InvalidPayload("payload has no 'class' string")
    if not isinstance(payload.get("args"), list):
        raise InvalidPayload("payload has no 'args' list")
    jid = payload.get("jid")
    if not isinstance(jid, str) or not 0 < len(jid) <= 64:
        raise InvalidPayload("payload has no usable 'jid' string")
    queue = payload.get("queue", "default")
    if not isinstance(queue, str) or not queue:
        raise InvalidPayload("payload has no usable 'queue' string")


def salvage(raw: bytes | str, error: InvalidPayload, queue: str) -> Payload:
    """Build a well-formed record for a payload we cannot run, so the dead set stays readable.

    What could be read of the original (class, jid, args) is kept; the raw text is
    kept, cut short, under `raw` so nothing is hidden from whoever inspects it.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        original = _parse(text)
    except InvalidPayload:
        original = None
    source = original if isinstance(original, dict) else {}
    klass = source.get("class")
    jid = source.get("jid")
    args = source.get("args")
    record: Payload = {
        "class": klass if isinstance(klass, str) and klass else "(unreadable)",
        "args": args if isinstance(args, list) else [],
        "jid": jid if isinstance(jid, str) and 0 < len(jid) <= 64 else new_jid(),
        "queue": queue,
        "retry": False,
        "error_class": type(error).__name__,
        "error_message": str(error),
    }
    if original is None or not isinstance(original, dict):
        record["raw"] = text[:2000]
    return record
