"""Template helpers of the dashboard: relative times with the exact time on hover, sizes."""

from __future__ import annotations

import math
from datetime import datetime

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from jobs.api.queues import valid_name

register = template.Library()

_UNITS = ((86400, "day", "days"), (3600, "h", "h"), (60, "min", "min"), (1, "s", "s"))


@register.filter
def duration(seconds: float | int | str | None) -> str:
    """A short human duration: "45 s", "12 min", "3 h", "5 days"."""
    try:
        value = abs(float(seconds))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(value):
        return "—"
    for size, singular, plural in _UNITS:
        if value >= size or size == 1:
            count = int(value // size)
            return f"{count} {singular if count == 1 else plural}"
    return "0 s"  # pragma: no cover  (the loop always returns)


@register.simple_tag
def when(moment: datetime | None, now: datetime | None = None) -> SafeString | str:
    """`<time>` saying "3 min ago" / "in 5 s", with the exact local time on hover."""
    if moment is None:
        return "—"
    now = now or timezone.now()
    delta = (moment - now).total_seconds()
    relative = f"in {duration(delta)}" if delta > 0.5 else f"{duration(-delta)} ago"
    local = timezone.localtime(moment)
    exact = local.strftime("%Y-%m-%d %H:%M:%S %Z")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', moment.isoformat(), exact, relative
    )


@register.filter
def kilobytes(value: int | None) -> str:
    """A size given in KB (RSS) as MB or GB."""
    if value is None:
        return "—"
    megabytes = value / 1024
    return f"{megabytes / 1024:.1f} GB" if megabytes >= 1024 else f"{megabytes:.1f} MB"


@register.filter
def number(value: int | None) -> str:
    """An integer with thousands separators."""
    return "—" if value is None else f"{value:,}"


@register.simple_tag
def queue_url(name: str) -> str:
    """The URL of a queue's page, or "" for a name no URL can carry (then show no link)."""
    if not valid_name(name):
        return ""
    try:
        return reverse("jobs:queue", args=[name])
    except NoReverseMatch:
        return ""


@register.filter
def breakable(name: str) -> SafeString:
    """A dotted or `::` name, escaped, that may wrap after each separator on narrow screens."""
    parts = str(name).split(".")
    return mark_safe(".<wbr>".join(escape(part).replace("::", "::<wbr>") for part in parts))  # noqa: S308  (every part is escaped)
