"""The backend's `OPTIONS`, read once, with defaults and the problems found in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A task still waiting (queued, scheduled, between retries) keeps its record this long
# after its last write; each retry writes it again. Past this, it is taken for lost.
PENDING_TTL = 30 * 24 * 3600


@dataclass(frozen=True)
class TaskOptions:
    """Every option of a JobsBackend, with its default."""

    RETRY: int = 25  # retries after a failure (0 = none: FAILED at once)
    RESULT_TTL: int = 86_400  # seconds a finished task's result is kept
    ENQUEUE_ON_COMMIT: bool = True  # inside transaction.atomic(), push after the commit
    MAX_RETURN_BYTES: int = 512 * 1024  # a bigger return value (as JSON) fails the task
    MAX_TRACEBACK_CHARS: int = 20_000  # each error's traceback is cut to this
    problems: tuple[str, ...] = field(default=(), compare=False)


_NUMBERS = {
    "RETRY": 0,
    "RESULT_TTL": 1,
    "MAX_RETURN_BYTES": 1,
    "MAX_TRACEBACK_CHARS": 1,
}


def parse_options(raw: object) -> TaskOptions:
    """The options given, defaults for the rest; what is wrong is listed in `problems`."""
    if raw is None:
        return TaskOptions()
    if not isinstance(raw, dict):
        return TaskOptions(problems=(f"OPTIONS must be a dict, not {type(raw).__name__}",))
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _NUMBERS:
            least = _NUMBERS[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                problems.append(
                    f"OPTIONS[{key!r}] must be a whole number >= {least}, not {value!r}"
                )
                continue
            values[key] = value
        elif key == "ENQUEUE_ON_COMMIT":
            if not isinstance(value, bool):
                problems.append(
                    f"OPTIONS['ENQUEUE_ON_COMMIT'] must be True or False, not {value!r}"
                )
                continue
            values[key] = value
        else:
            known = ", ".join([*_NUMBERS, "ENQUEUE_ON_COMMIT"])
            problems.append(f"unknown option OPTIONS[{key!r}]; known: {known}")
    return TaskOptions(**values, problems=tuple(problems))
