"""URL pieces of the dashboard: which sorted set a slug names, and job keys."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from jobs.redis import keys


@dataclass(frozen=True)
class SetInfo:
    """How one of the three sorted sets is shown (texts marked, translated when shown)."""

    slug: str  # in URLs
    key: str  # in Redis
    title: str
    when_label: str  # what the score means
    enqueue_label: str  # the "run now" button
    can_kill: bool
    newest_first: bool  # default order
    empty: str  # what to say when there is nothing


SETS: dict[str, SetInfo] = {
    info.slug: info
    for info in (
        SetInfo(
            "scheduled", keys.SCHEDULE, gettext_noop("Scheduled"), gettext_noop("Runs"),
            gettext_noop("Run now"), True, False,
            gettext_noop(
                "No scheduled jobs. Jobs enqueued with perform_in() or perform_at() wait here."
            ),
        ),
        SetInfo(
            "retries", keys.RETRY, gettext_noop("Retries"), gettext_noop("Next retry"),
            gettext_noop("Retry now"), True, False,
            gettext_noop("No retries pending. Failed jobs wait here before their next attempt."),
        ),
        SetInfo(
            "dead", keys.DEAD, gettext_noop("Dead"), gettext_noop("Died"),
            gettext_noop("Retry now"), False, True,
            gettext_noop(
                "No dead jobs. Jobs that ran out of retries are kept here for you to inspect."
            ),
        ),
    )
}  # fmt: skip


class SetConverter:
    """`scheduled`, `retries` or `dead`."""

    regex = "scheduled|retries|dead"

    def to_python(self, value: str) -> SetInfo:
        """The SetInfo of a slug."""
        return SETS[value]

    def to_url(self, value: SetInfo | str) -> str:
        """The slug of a SetInfo (or a slug given as is)."""
        return value.slug if isinstance(value, SetInfo) else value


class JobKeyConverter:
    """`<score>-<id>`: a float score, a dash, and a URL-safe job id."""

    regex = r"[0-9A-Za-z.+_-]{3,200}"

    def to_python(self, value: str) -> str:
        """The key as is (parsed later; a stale key simply finds nothing)."""
        return value

    def to_url(self, value: str) -> str:
        """The key as is."""
        return value
