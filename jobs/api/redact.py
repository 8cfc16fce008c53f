"""Hide values stored under keys that look secret before anything reaches a screen."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
# Matches password, api_key, accessToken, client_secret, Authorization, ...
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|key|credential|signature|cookie|session|^auth(_|$)"
    r"|authorization",
    re.IGNORECASE,
)
# Deeper structures are cut here: no recursion limit is ever reached on hostile input.
MAX_DEPTH = 32
TOO_DEEP = "[nested too deep]"


def is_secret(key: str) -> bool:
    """Whether a mapping key names something that must not be shown."""
    return bool(SECRET_KEY.search(key))


def redact(value: Any, depth: int = 0) -> Any:
    """Copy `value` (parsed JSON) with secret-looking keys' values replaced."""
    if depth > MAX_DEPTH:
        return TOO_DEEP
    if isinstance(value, dict):
        return {
            key: REDACTED if is_secret(str(key)) else redact(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, depth + 1) for item in value]
    return value
