"""A job as read from Redis: the raw bytes, what could be parsed, and what to show.

Everything here treats the stored value as hostile: any field may be missing, of the
wrong type, huge or deeply nested; nothing a payload names is ever imported.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from jobs import backtrace as tracebacks
from jobs.api.redact import redact, redact_args, redact_payload
from jobs.exceptions import InvalidPayload
from jobs.payload import JobPayload, epoch, loads, read_retry_count

# A jid may appear in URLs only if it is made of these; otherwise a digest stands in.
SAFE_ID = re.compile(r"[A-Za-z0-9_]{1,64}\Z")
PREVIEW_CHARS = 240
PRETTY_CHARS = 200_000


def to_datetime(value: object) -> datetime | None:
    """An aware UTC datetime for a Sidekiq timestamp (float s or int ms), or None."""
    seconds = epoch(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def to_text(value: Any, limit: int = PRETTY_CHARS, indent: int | None = None) -> str:
    """JSON text of an already-parsed value, cut to `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    except (ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


decode_backtrace = tracebacks.decode  # bounded: hostile values are read safely


class JobRecord:
    """One stored job (queue entry or sorted-set member), readable however broken."""

    def __init__(self, raw: bytes | str, score: float | None = None) -> None:
        self.raw: bytes = raw.encode("utf-8") if isinstance(raw, str) else raw
        self.score = score
        self.problem = ""
        # The checked job when it is one; `data` is whatever could be read, to show it.
        self.payload: JobPayload | None = None
        self.data: dict[str, Any] = {}
        try:
            self.data = self.payload = loads(self.raw)
        except InvalidPayload as exc:
            self.problem = str(exc)
            self.data = _lenient(self.raw)
        except RecursionError:
            self.problem = "payload is nested too deeply"

    # -- identity ---------------------------------------------------------------

    @property
    def ok(self) -> bool:
        """Whether the payload is a well-formed job."""
        return not self.problem

    @property
    def jid(self) -> str:
        """The job id as stored (may be empty or hostile; always escape it)."""
        value = self.data.get("jid")
        return value if isinstance(value, str) else ""

    @cached_property
    def id(self) -> str:
        """A URL-safe id: the jid when it is plain, else a digest of the raw bytes."""
        if SAFE_ID.match(self.jid):
            return self.jid
        return "x" + hashlib.sha256(self.raw).hexdigest()[:32]

    @property
    def key(self) -> str:
        """`<score>-<id>`: finds a sorted-set member again (as Sidekiq's Web UI does)."""
        return f"{self.score!r}-{self.id}"

    # -- what the job is --------------------------------------------------------

    @property
    def klass(self) -> str:
        """The `class` field as stored."""
        value = self.data.get("class")
        return value if isinstance(value, str) and value else "(unreadable)"

    @property
    def display_class(self) -> str:
        """The class to show: the wrapped ActiveJob class for Rails jobs."""
        wrapped = self.data.get("wrapped") or self.data.get("display_class")  # Sidekiq's field
        return wrapped if isinstance(wrapped, str) and wrapped else self.klass

    @property
    def args(self) -> list[Any]:
        """The `args` list as stored (empty when missing)."""
        value = self.data.get("args")
        return value if isinstance(value, list) else []

    @cached_property
    def display_args(self) -> list[Any]:
        """Arguments to show, secret-looking values redacted; ActiveJob's unwrapped."""
        args = self.args
        if "wrapped" in self.data and len(args) == 1 and isinstance(args[0], dict):
            inner = args[0].get("arguments")
            if isinstance(inner, list):
                redacted: list[Any] = redact(inner)
                return redacted
        return redact_args(self.klass, args, self.data.get("display_class"))

    @cached_property
    def args_preview(self) -> str:
        """Short one-line JSON of the shown arguments."""
        return to_text(self.display_args, PREVIEW_CHARS)

    @cached_property
    def args_pretty(self) -> str:
        """Indented JSON of the shown arguments."""
        return to_text(self.display_args, indent=2)

    @cached_property
    def payload_pretty(self) -> str:
        """The whole payload, indented, secrets redacted (raw text if unreadable)."""
        if not self.data:
            return self.raw[:PRETTY_CHARS].decode("utf-8", "replace")
        return to_text(redact_payload(self.data), indent=2)

    @property
    def queue(self) -> str:
        """The queue the job belongs to ("default" when missing)."""
        value = self.data.get("queue")
        return value if isinstance(value, str) and value else "default"

    @property
    def retry(self) -> str:
        """The retry option as a short text: true, false or a number."""
        value = self.data.get("retry", True)
        return json.dumps(value) if isinstance(value, (bool, int)) else "true"

    @property
    def retry_count(self) -> int | None:
        """How many retries ran already (None before the first failure)."""
        return read_retry_count(self.data)

    @property
    def tags(self) -> list[str]:
        """Tags given with `set(tags=...)`."""
        value = self.data.get("tags")
        return [str(tag) for tag in value[:20]] if isinstance(value, list) else []

    # -- times ------------------------------------------------------------------

    @property
    def at(self) -> datetime | None:
        """The sorted-set score as a time (run at, retry at, died at)."""
        return to_datetime(self.score) if self.score is not None else None

    @property
    def created_at(self) -> datetime | None:
        """When the job was built."""
        return to_datetime(self.data.get("created_at"))

    @property
    def enqueued_at(self) -> datetime | None:
        """When the job was last pushed onto a queue."""
        return to_datetime(self.data.get("enqueued_at"))

    @property
    def failed_at(self) -> datetime | None:
        """When the job first failed."""
        return to_datetime(self.data.get("failed_at"))

    @property
    def retried_at(self) -> datetime | None:
        """When the job was last retried."""
        return to_datetime(self.data.get("retried_at"))

    # -- failure ----------------------------------------------------------------

    @property
    def error_class(self) -> str:
        """The exception class of the last failure ("" when none)."""
        value = self.data.get("error_class")
        return value if isinstance(value, str) else ""

    @property
    def error_message(self) -> str:
        """The message of the last failure, cut to a sane length."""
        value = self.data.get("error_message")
        return value[:PRETTY_CHARS] if isinstance(value, str) else ""

    @cached_property
    def backtrace(self) -> list[str]:
        """The backtrace lines stored with the failure, if any."""
        return decode_backtrace(self.data.get("error_backtrace"))

    @cached_property
    def traceback(self) -> list[tracebacks.Line]:
        """The backtrace sorted for display (Python's layout, or plain lines)."""
        return tracebacks.render(self.backtrace)

    @cached_property
    def search_text(self) -> str:
        """Lower-cased text a search looks in (redacted, so secrets cannot be probed)."""
        parts = [self.klass, self.display_class, self.jid, self.queue, self.error_class]
        parts += [self.error_message[:10_000], to_text(self.display_args, 20_000)]
        if not self.data:
            parts.append(self.raw[:2000].decode("utf-8", "replace"))
        return "\n".join(parts).lower()

    def decoded(self) -> str:
        """The raw value as text, for writing it back (dead records)."""
        return self.raw.decode("utf-8", "replace")


def _lenient(raw: bytes) -> dict[str, Any]:
    """Whatever object could be read from a payload that failed validation."""
    try:
        value = json.loads(raw.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
