"""Find a job by jid from any page, and its page: where it is now and its timeline."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from jobs.api import past as history
from jobs.api.find import FoundJob, locate
from jobs.api.records import SAFE_ID, to_datetime
from jobs.dashboard.converters import SETS
from jobs.dashboard.views.base import PageView

# The dashboard's slug of the sorted set a state lives in.
SET_OF_STATE = {"scheduled": "scheduled", "retry": "retries", "dead": "dead"}
JID_MAX = 64


def set_link(found: FoundJob) -> str:
    """The job's page in its sorted set (with its actions), or "" when it is not in one."""
    slug = SET_OF_STATE.get(found.state)
    if slug is None or found.score is None:
        return ""
    return reverse("jobs:job", args=[slug, found.key])


class FoundJobView(PageView):
    """`find/?jid=...` (the search box of every page): the job wherever it is, its
    state, facts and arguments, the timeline of its runs and its traceback."""

    template_name = "jobs/found.html"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        jid = str(self.request.GET.get("jid", "")).strip()[:JID_MAX]
        self.title = _("Find a job")
        if not SAFE_ID.match(jid):
            return {"status": 404 if jid else 200, "found": None, "jid": jid, "asked": True}
        found, past = locate(self.client, jid)
        if found is None:
            return {"status": 404, "found": None, "jid": jid, "runs": _runs(past)}
        self.title = found.display_class
        info = SETS.get(SET_OF_STATE.get(found.state, ""))
        return {
            "found": found,
            "jid": jid,
            "runs": _runs(found.past),
            "set_link": set_link(found),
            "set_title": info.title if info is not None else "",
            "at": to_datetime(found.score) if found.score is not None else None,
            "query": _query(jid),
        }


def _query(jid: str) -> QueryDict:
    """What the page's own links carry: the jid."""
    query = QueryDict(mutable=True)
    query["jid"] = jid
    return query


def _runs(past: history.Past | None) -> list[dict[str, Any]]:
    """The runs as the template shows them: times as datetimes, duration in ms."""
    if past is None:
        return []
    return [
        {
            "run": run,
            "started": to_datetime(run.started),
            "ms": run.took * 1000 if run.took is not None else None,
            "next": to_datetime(run.score) if run.state == "retry" else None,
        }
        for run in past.runs
    ]
