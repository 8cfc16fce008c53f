"""Query parameters and action forms: every number is parsed and clamped, never trusted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from jobs.api.search import MAX_QUERY

PER_PAGE_CHOICES = (25, 50, 100, 500)
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 500
MAX_PAGE = 1_000_000
HISTORY_DAYS = (7, 30, 90)
MAX_HISTORY_DAYS = 365
INTERVALS = (2, 5, 10, 30)
DEFAULT_INTERVAL = 5
MAX_INTERVAL = 60


def clamp_int(raw: object, default: int, low: int, high: int) -> int:
    """`raw` as an int within [low, high]; `default` when it is not a number."""
    try:
        value = int(str(raw).strip()[:20])
    except (TypeError, ValueError):
        return default
    return max(low, min(high, value))


def clean_query(raw: Mapping[str, Any], values: Mapping[str, object]) -> QueryDict:
    """The parameters a page's own links carry: `values`, as used, for names `raw` had.

    Links never repeat the raw query string: names the page does not read are dropped
    and each value is the one the page used (clamped, trimmed), so nothing hostile or
    huge is carried from one page to the next.
    """
    query = QueryDict(mutable=True)
    for name, value in values.items():
        if name in raw and value not in (None, ""):
            query[name] = str(value)
    return query


@dataclass(frozen=True)
class ListParams:
    """`?page=`, `?per_page=`, `?q=` and `?order=` of a list page."""

    page: int
    per_page: int
    query: str
    newest_first: bool

    @property
    def offset(self) -> int:
        """Index of the first row of the page."""
        return (self.page - 1) * self.per_page

    @classmethod
    def parse(cls, params: Mapping[str, Any], newest_first: bool = True) -> ListParams:
        """Read and clamp the parameters; `newest_first` is the page's default order."""
        order = params.get("order")
        if order in ("newest", "oldest"):
            newest_first = order == "newest"
        return cls(
            page=clamp_int(params.get("page"), 1, 1, MAX_PAGE),
            per_page=clamp_int(params.get("per_page"), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
            query=str(params.get("q") or "").strip()[:MAX_QUERY],
            newest_first=newest_first,
        )

    def link_query(self, raw: Mapping[str, Any], per_page: int | None = None) -> QueryDict:
        """The links' parameters (`clean_query`); `per_page` if the page lowered it."""
        order = "newest" if self.newest_first else "oldest"
        size = self.per_page if per_page is None else per_page
        values = {"q": self.query, "order": order, "per_page": size, "page": self.page}
        return clean_query(raw, values)


@dataclass(frozen=True)
class Pager:
    """Numbers for the pagination bar."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def previous(self) -> int | None:
        """Previous page number, if any."""
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        """Next page number, if any."""
        return self.page + 1 if self.page < self.pages else None

    @property
    def first_row(self) -> int:
        """1-based number of the first row shown."""
        return min(self.total, (self.page - 1) * self.per_page + 1)

    @property
    def last_row(self) -> int:
        """1-based number of the last row shown."""
        return min(self.total, self.page * self.per_page)


class SetActionForm(forms.Form):
    """An action on sorted-set members: chosen by key, or all matching a search."""

    action = forms.ChoiceField(
        choices=[("enqueue", "enqueue"), ("delete", "delete"), ("kill", "kill")]
    )
    scope = forms.ChoiceField(choices=[("selected", "selected"), ("all", "all")], required=False)
    q = forms.CharField(required=False, max_length=MAX_QUERY, strip=True)

    def __init__(self, data: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.keys: list[str] = [str(key) for key in data.getlist("key")[:MAX_PER_PAGE]]


class QueueActionForm(forms.Form):
    """An action on one queue, or one job in it."""

    queue = forms.CharField(max_length=200, strip=False)
    job = forms.CharField(required=False, max_length=80)


class SignalForm(forms.Form):
    """Quiet or stop one process, or every live one (`identity` = "*")."""

    identity = forms.CharField(max_length=500, strip=False)
    signal = forms.ChoiceField(choices=[("quiet", "quiet"), ("stop", "stop")])


class GroupActionForm(forms.Form):
    """An action on every member of one failure group (jobs.api.triage)."""

    action = forms.ChoiceField(
        choices=[("enqueue", "enqueue"), ("delete", "delete"), ("kill", "kill")]
    )
    group = forms.RegexField(regex=r"\A[0-9a-f]{16}\Z", max_length=16)
