"""Say a schedule in words: "every 30 seconds", "every Monday to Friday at 09:00".

Common cron forms are described; anything else falls back to `cron <expression>`.
"""

from __future__ import annotations

import re

from jobs.recurring.times import CronTimes, EveryTimes

UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAY_NAMES = {name[:3].lower(): index for index, name in enumerate(DAYS[:7])}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
STEP = re.compile(r"\*/(\d+)")


def describe(times: CronTimes | EveryTimes) -> str:
    """The schedule in words."""
    if isinstance(times, EveryTimes):
        return describe_every(times.count, times.unit)
    return describe_cron(times.fields) or f"cron {times.expression}"


def describe_every(count: int, unit: str) -> str:
    name = UNITS[unit]
    text = f"every {name}" if count == 1 else f"every {count} {name}s"
    return text + " at midnight" if unit == "d" else text


def describe_cron(fields: list[str]) -> str | None:
    """Words for a common cron form, or None."""
    second = "0"
    if len(fields) == 6:
        second, fields = fields[0], fields[1:]
        if fields == ["*"] * 5:
            return _every("second", second)
    minute, hour, day, month, weekday = fields
    if not second.isdigit():
        return None
    if second == "0" and [hour, day, month, weekday] == ["*"] * 4:
        return _hourly(minute)
    step = STEP.fullmatch(hour)
    if not minute.isdigit():
        return None
    if step and [day, month, weekday] == ["*"] * 3:
        return f"every {step.group(1)} hours at minute {int(minute)}"
    at = _clock(hour, minute, second)
    return None if at is None else _days(day, month, weekday, at)


def _hourly(minute: str) -> str | None:
    if minute.isdigit():
        return f"at minute {int(minute)} of every hour"
    return _every("minute", minute)


def _every(unit: str, field: str) -> str | None:
    if field == "*":
        return f"every {unit}"
    step = STEP.fullmatch(field)
    if step:
        return f"every {step.group(1)} {unit}s"
    if field.isdigit():
        return f"at second {field} of every minute" if unit == "second" else None
    return None


def _clock(hour: str, minute: str, second: str) -> str | None:
    """Times of day like `09:00` or `09:00 and 17:00` for fixed hours; None otherwise."""
    hours = hour.split(",")
    if not all(h.isdigit() and int(h) < 24 for h in hours) or int(minute) > 59:
        return None
    suffix = f":{int(second):02d}" if int(second) else ""
    times = [f"{int(h):02d}:{int(minute):02d}{suffix}" for h in hours]
    return times[0] if len(times) == 1 else ", ".join(times[:-1]) + " and " + times[-1]


def _days(day: str, month: str, weekday: str, at: str) -> str | None:
    if day == "*" and month == "*":
        if weekday == "*":
            return f"every day at {at}"
        named = _weekdays(weekday)
        return f"every {named} at {at}" if named else None
    if weekday != "*" or not day.isdigit():
        return None
    if month == "*":
        return f"on day {int(day)} of every month at {at}"
    if month.isdigit() and 1 <= int(month) <= 12:
        return f"on {int(day)} {MONTHS[int(month) - 1]} every year at {at}"
    return None


def _weekdays(field: str) -> str | None:
    """Days like `Monday`, `Monday to Friday`, `Monday and Thursday`; None for other forms."""
    parts: list[str] = []
    for item in field.split(","):
        ends = [_weekday(end) for end in item.split("-")]
        if None in ends or len(ends) > 2:
            return None
        parts.append(" to ".join(DAYS[end] for end in ends if end is not None))
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _weekday(token: str) -> int | None:
    if token.isdigit():
        return int(token) if int(token) <= 7 else None
    return DAY_NAMES.get(token.lower())
