"""Say a schedule in words: "every 30 seconds", "every Monday to Friday at 09:00".

Common cron forms are described; anything else falls back to `cron <expression>`.
The words are in the active language (the dashboard follows the admin's): each phrase
is one translatable string, day and month names are Django's own.
"""

from __future__ import annotations

import re

from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy

from jobs.recurring.times import CronTimes, EveryTimes

DAY_NAMES = {
    name: index for index, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])
}
STEP = re.compile(r"\*/(\d+)")


# "every N <unit>s", a phrase per unit (each language words them differently); `count`
# chooses the plural form when the phrase is formatted with {"count": N}.
EVERY = {
    "s": ngettext_lazy("every second", "every %(count)d seconds", "count"),
    "m": ngettext_lazy("every minute", "every %(count)d minutes", "count"),
    "h": ngettext_lazy("every hour", "every %(count)d hours", "count"),
    "d": ngettext_lazy("every day at midnight", "every %(count)d days at midnight", "count"),
}


def describe(times: CronTimes | EveryTimes) -> str:
    """The schedule in words."""
    if isinstance(times, EveryTimes):
        return describe_every(times.count, times.unit)
    return describe_cron(times.fields) or f"cron {times.expression}"


def describe_every(count: int, unit: str) -> str:
    return str(EVERY[unit] % {"count": count})


def describe_cron(fields: list[str]) -> str | None:
    """Words for a common cron form, or None."""
    second = "0"
    if len(fields) == 6:
        second, fields = fields[0], fields[1:]
        if fields == ["*"] * 5:
            return _every("s", second)
    minute, hour, day, month, weekday = fields
    if not second.isdigit():
        return None
    if second == "0" and [hour, day, month, weekday] == ["*"] * 4:
        return _hourly(minute)
    step = STEP.fullmatch(hour)
    if not minute.isdigit():
        return None
    if step and [day, month, weekday] == ["*"] * 3:
        count = int(step.group(1))
        text = ngettext(
            "every hour at minute %(minute)d", "every %(count)d hours at minute %(minute)d", count
        )
        return text % {"count": count, "minute": int(minute)}
    at = _clock(hour, minute, second)
    return None if at is None else _days(day, month, weekday, at)


def _hourly(minute: str) -> str | None:
    if minute.isdigit():
        return _("at minute %(minute)d of every hour") % {"minute": int(minute)}
    return _every("m", minute)


def _every(unit: str, field: str) -> str | None:
    """`*` or `*/N` in the seconds or minutes field; a fixed second of every minute."""
    if field == "*":
        return describe_every(1, unit)
    step = STEP.fullmatch(field)
    if step:
        return describe_every(int(step.group(1)), unit)
    if field.isdigit() and unit == "s":
        return _("at second %(second)d of every minute") % {"second": int(field)}
    return None


def _clock(hour: str, minute: str, second: str) -> str | None:
    """Times of day like `09:00` or `09:00 and 17:00` for fixed hours; None otherwise."""
    hours = hour.split(",")
    if not all(h.isdigit() and int(h) < 24 for h in hours) or int(minute) > 59:
        return None
    suffix = f":{int(second):02d}" if int(second) else ""
    return _listed([f"{int(h):02d}:{int(minute):02d}{suffix}" for h in hours])


def _days(day: str, month: str, weekday: str, at: str) -> str | None:
    if day == "*" and month == "*":
        if weekday == "*":
            return _("every day at %(time)s") % {"time": at}
        named = _weekdays(weekday)
        return _("every %(days)s at %(time)s") % {"days": named, "time": at} if named else None
    if weekday != "*" or not day.isdigit():
        return None
    if month == "*":
        return _("on day %(day)d of every month at %(time)s") % {"day": int(day), "time": at}
    if month.isdigit() and 1 <= int(month) <= 12:
        text = _("on %(day)d %(month)s every year at %(time)s")
        return text % {"day": int(day), "month": MONTHS[int(month)], "time": at}
    return None


def _weekdays(field: str) -> str | None:
    """Days like `Monday`, `Monday to Friday`, `Monday and Thursday`; None for other forms."""
    parts: list[str] = []
    for item in field.split(","):
        ends = [_weekday(end) for end in item.split("-")]
        if None in ends or len(ends) > 2:
            return None
        names = [str(WEEKDAYS[(end - 1) % 7]) for end in ends if end is not None]  # 0 = Sunday
        if len(names) == 1:
            parts.append(names[0])
        else:
            parts.append(_("%(first)s to %(last)s") % {"first": names[0], "last": names[1]})
    return _listed(parts)


def _listed(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`, in the active language."""
    if len(items) == 1:
        return items[0]
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _weekday(token: str) -> int | None:
    if token.isdigit():
        return int(token) if int(token) <= 7 else None
    return DAY_NAMES.get(token.lower())
