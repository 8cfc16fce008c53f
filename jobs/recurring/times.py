"""When an entry's ticks fall: cron expressions and `every` intervals, in a time zone.

Cron follows the wall clock of the entry's zone, as Vixie cron does across DST:

1. A time skipped by a spring-forward change runs once, when the gap ends
   ("30 2 * * *" runs at 03:00 that day).
2. A time repeated by a fall-back change runs once, at its first occurrence,
   unless the hour field is `*`: then the repeated hour runs again, so hourly
   and more frequent entries keep their rhythm in real time.

`every` in seconds, minutes or hours counts real time: ticks fall on multiples
of the interval counted from midnight, standard time ("1h" on the hour, "6h" at
00, 06, 12 and 18 standard time), so a DST change neither skips nor doubles one.
`every` in days runs at local midnight, whatever the offset that day.
Ticks are whole epoch seconds.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
EVERY = re.compile(r"(\d+)\s*([smhd])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
EPOCH_DAY = date(1970, 1, 1)
# A fixed-hour expression skips at most a repeated hour or two of matches (3,600 each
# with seconds) before it finds one that is not a repeat.
MAX_SKIPPED = 20_000


class Times(Protocol):
    """A sequence of ticks in epoch seconds."""

    tz: ZoneInfo

    def next_after(self, t: float) -> int:
        """The first tick strictly after `t`."""

    def previous(self, t: float) -> int:
        """The last tick at or before `t`."""


class CronTimes:
    """Ticks of a 5-field cron expression, or 6 fields with seconds first."""

    def __init__(self, expression: str, tz: ZoneInfo) -> None:
        text = " ".join(expression.split())
        self.expression = ALIASES.get(text.lower(), text)
        self.fields = self.expression.split(" ")
        if len(self.fields) not in (5, 6):
            raise ValueError(
                f"cron {expression!r} has {len(self.fields)} fields; use 5 "
                "(minute hour day month weekday) or 6 (second first)"
            )
        self.with_seconds = len(self.fields) == 6
        self.tz = tz
        hour = self.fields[2 if self.with_seconds else 1]
        self.repeat_hour = hour in ("*", "*/1")
        # croniter is imported where used: 6 ms that every worker would pay at start.
        from croniter import CroniterBadCronError, croniter

        try:
            valid = croniter.is_valid(self.expression, second_at_beginning=self.with_seconds)
        except (CroniterBadCronError, ValueError):
            valid = False
        if not valid:
            raise ValueError(f"cron {expression!r} is not a valid cron expression")
        # An expression that can never match ("0 0 31 2 *") fails here, not in the worker.
        self.next_after(datetime(2025, 1, 1, tzinfo=tz).timestamp())

    def next_after(self, t: float) -> int:
        return self._tick(datetime.fromtimestamp(t, self.tz), forward=True)

    def previous(self, t: float) -> int:
        # get_prev() is strictly before its start; ticks are whole seconds.
        return self._tick(datetime.fromtimestamp(math.floor(t) + 1, self.tz), forward=False)

    def _tick(self, start: datetime, *, forward: bool) -> int:
        """The first tick after (or before) `start`, skipping a repeated wall-clock hour."""
        from croniter import CroniterBadDateError, croniter

        matches = croniter(
            self.expression, start, ret_type=datetime, second_at_beginning=self.with_seconds
        )
        step = matches.get_next if forward else matches.get_prev
        try:
            for _ in range(MAX_SKIPPED):
                moment: datetime = step(datetime)
                if self.repeat_hour or not is_repeat(moment, self.tz):
                    return int(moment.timestamp())
        except CroniterBadDateError:
            raise ValueError(f"cron {self.expression!r} never matches a date") from None
        side = "after" if forward else "before"
        raise ValueError(f"cron {self.expression!r} found no tick {side} {start.isoformat()}")


class EveryTimes:
    """Ticks every N seconds, minutes, hours (real time) or days (at local midnight)."""

    def __init__(self, spec: str, tz: ZoneInfo) -> None:
        found = EVERY.fullmatch(spec.strip())
        if found is None:
            raise ValueError(
                f"every {spec!r} is not an interval; use a whole number and a unit: "
                '"30s", "5m", "1h", "1d"'
            )
        self.count, self.unit = int(found.group(1)), found.group(2)
        if self.count < 1:
            raise ValueError(f"every {spec!r} must be at least 1{self.unit}")
        self.seconds = self.count * UNIT_SECONDS[self.unit]
        self.tz = tz

    def next_after(self, t: float) -> int:
        if self.unit == "d":
            return self._next_midnight(t)
        standard = standard_offset(t, self.tz)
        step = math.floor((t + standard) / self.seconds) + 1
        return step * self.seconds - standard

    def previous(self, t: float) -> int:
        if self.unit == "d":
            return self._previous_midnight(t)
        standard = standard_offset(t, self.tz)
        return math.floor((t + standard) / self.seconds) * self.seconds - standard

    def _next_midnight(self, t: float) -> int:
        day = datetime.fromtimestamp(t, self.tz).date()
        for _ in range(self.count + 2):
            if (day - EPOCH_DAY).days % self.count == 0:
                at = first_instant(datetime.combine(day, time()), self.tz)
                if at > t:
                    return at
            day += timedelta(days=1)
        raise AssertionError("unreachable: a matching day lies within count + 2 days")

    def _previous_midnight(self, t: float) -> int:
        day = datetime.fromtimestamp(t, self.tz).date()
        for _ in range(self.count + 2):
            if (day - EPOCH_DAY).days % self.count == 0:
                at = first_instant(datetime.combine(day, time()), self.tz)
                if at <= t:
                    return at
            day -= timedelta(days=1)
        raise AssertionError("unreachable: a matching day lies within count + 2 days")


def standard_offset(t: float, tz: ZoneInfo) -> int:
    """The zone's UTC offset at `t` without DST, in seconds."""
    local = datetime.fromtimestamp(t, tz)
    offset = local.utcoffset() or timedelta()
    return int((offset - (local.dst() or timedelta())).total_seconds())


def is_repeat(moment: datetime, tz: ZoneInfo) -> bool:
    """True if `moment`'s wall time already happened once that night (fall-back change)."""
    wall = moment.replace(tzinfo=None)
    return wall.replace(tzinfo=tz, fold=0).timestamp() < moment.timestamp()


def first_instant(wall: datetime, tz: ZoneInfo) -> int:
    """The first instant whose local time is `wall` or, inside a DST gap, just after it."""
    earliest = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    if _wall(earliest, tz) == wall:
        return earliest
    # `wall` falls in a spring-forward gap: fold=1 reads it with the later offset
    # (an instant before the change), fold=0 with the earlier one (after it).
    before, after = int(wall.replace(tzinfo=tz, fold=1).timestamp()), earliest
    while after - before > 1:
        middle = (before + after) // 2
        if _wall(middle, tz) >= wall:
            after = middle
        else:
            before = middle
    return after


def _wall(t: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(t, tz).replace(tzinfo=None)


def latest_tick(times: Times, upto: float, after: float) -> int | None:
    """The last tick in (after, upto], or None."""
    tick = times.previous(upto)
    return tick if tick > after else None
