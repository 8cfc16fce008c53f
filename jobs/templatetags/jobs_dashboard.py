"""Template helpers of the dashboard: relative times with the exact time on hover, sizes,
and a job's name as a list shows it (short class, module muted; mail as Mailer.method)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from jobs.api.queues import valid_name
from jobs.api.records import JobRecord, to_text
from jobs.api.redact import MAIL_JOB

register = template.Library()

# Seconds per unit and how a count of it reads ("%(count)d" is the number).
_UNITS: tuple[tuple[int, Callable[[int], str]], ...] = (
    (86400, lambda n: ngettext("%(count)d day", "%(count)d days", n) % {"count": n}),
    (3600, lambda n: gettext("%(count)d h") % {"count": n}),
    (60, lambda n: gettext("%(count)d min") % {"count": n}),
    (1, lambda n: gettext("%(count)d s") % {"count": n}),
)
PREVIEW_CHARS = 240


@register.filter
def duration(seconds: float | int | str | None) -> str:
    """A short human duration: "45 s", "12 min", "3 h", "5 days"."""
    try:
        value = abs(float(seconds))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(value):
        return "—"
    for size, words in _UNITS:
        if value >= size or size == 1:
            return words(int(value // size))
    return "0 s"  # pragma: no cover  (the loop always returns)


@register.simple_tag
def when(moment: datetime | None, now: datetime | None = None) -> SafeString | str:
    """`<time>` saying "3 min ago" / "in 5 s", with the exact local time on hover."""
    if moment is None:
        return "—"
    now = now or timezone.now()
    delta = (moment - now).total_seconds()
    if delta > 0.5:
        relative = gettext("in %(duration)s") % {"duration": duration(delta)}
    else:
        relative = gettext("%(duration)s ago") % {"duration": duration(-delta)}
    local = timezone.localtime(moment)
    exact = local.strftime("%Y-%m-%d %H:%M:%S %Z")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', moment.isoformat(), exact, relative
    )


@register.filter
def kilobytes(value: int | None) -> str:
    """A size given in KB (RSS) as MB or GB, the decimal mark the active language's."""
    if value is None:
        return "—"
    megabytes = value / 1024
    if megabytes >= 1024:
        return f"{formats.number_format(megabytes / 1024, 1)} GB"
    return f"{formats.number_format(megabytes, 1)} MB"


@register.filter
def number(value: int | None) -> str:
    """An integer with the active language's thousands separators (1,234 / 1.234)."""
    return "—" if value is None else formats.number_format(value, force_grouping=True)


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


def name_parts(job: JobRecord) -> tuple[str, str]:
    """(muted prefix, short name) of a job: `myapp.jobs.` + `MoodSenderJob`; a mail job
    as its mailer method (`myapp.mailers.` + `MoodMailer.mood`); a task by its own path."""
    name = job.display_class
    args = job.args
    if job.klass == MAIL_JOB and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
        prefix, _, mailer = str(args[0]).rpartition(".")
        return (prefix + "." if prefix else ""), f"{mailer}.{args[1]}"
    cut = max(name.rfind("."), name.rfind("::") + 1)
    if cut <= 0 or cut >= len(name) - 1:
        return "", name
    return name[: cut + 1], name[cut + 1 :]


@register.simple_tag
def job_name(job: JobRecord) -> SafeString:
    """The job's short name in bold after its muted module, the whole name on hover."""
    prefix, short = name_parts(job)
    return format_html(
        '<span class="jobs-jobname" title="{}"><span class="jobs-module">{}</span>'
        '<strong class="jobs-class">{}</strong></span>',
        prefix + short,
        prefix,
        short,
    )


@register.filter
def shown_args(job: JobRecord) -> str:
    """One line of the arguments the job's code gets: a mail job's mailer method's own."""
    args = job.display_args
    if job.klass == MAIL_JOB and len(args) >= 3 and isinstance(args[2], list):
        inner = list(args[2])
        if len(args) >= 5 and isinstance(args[4], dict) and args[4]:
            inner.append(args[4])
        return to_text(inner, PREVIEW_CHARS)
    return job.args_preview
