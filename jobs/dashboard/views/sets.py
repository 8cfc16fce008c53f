"""Scheduled, Retries and Dead: one list view, one detail view, one action view for all three."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs.api import Action, SortedJobSet
from jobs.conf import get_settings
from jobs.dashboard.converters import SetInfo
from jobs.dashboard.forms import PER_PAGE_CHOICES, ListParams, Pager, SetActionForm
from jobs.dashboard.views.base import ActionView, PageView
from jobs.redis.connection import server_time
from jobs.tasks.display import task_summary


def done_message(action: Action, count: int) -> str:
    """ "1 job deleted." / "3 jobs deleted.": a whole sentence per action, for translators."""
    if action is Action.ENQUEUE:
        text = ngettext(
            "%(count)d job sent to its queue.", "%(count)d jobs sent to their queues.", count
        )
    elif action is Action.DELETE:
        text = ngettext("%(count)d job deleted.", "%(count)d jobs deleted.", count)
    else:
        text = ngettext("%(count)d job killed.", "%(count)d jobs killed.", count)
    return text % {"count": count}


class SortedSetView(PageView):
    """A page of one sorted set, optionally filtered by a bounded search."""

    template_name = "jobs/sorted_set.html"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        info: SetInfo = kwargs["jobset"]
        self.title, self.tab = info.title, f"set:{info.slug}"
        params = ListParams.parse(self.request.GET, newest_first=info.newest_first)
        jobset = SortedJobSet(self.client, info.key)
        found = jobset.page(params.offset, params.per_page, params.newest_first, params.query)
        return {
            "info": info,
            "found": found,
            "pager": Pager(params.page, params.per_page, found.total),
            "params": params,
            "per_page_choices": PER_PAGE_CHOICES,
            "query": params.link_query(self.request.GET),
        }


class JobView(PageView):
    """One member in full: payload, arguments, error and backtrace, and its actions."""

    template_name = "jobs/job.html"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        info: SetInfo = kwargs["jobset"]
        self.title, self.tab = info.title, f"set:{info.slug}"
        records = SortedJobSet(self.client, info.key).find([kwargs["key"]])
        context: dict[str, Any] = {"info": info, "job": records[0] if records else None}
        context["default_retry"] = get_settings().DEFAULT_RETRY  # what "retry": true means
        if not records:
            context["status"] = 404
        else:
            self.title = f"{_(info.title)}: {records[0].display_class}"
            context["task"] = task_summary(self.client, records[0])  # django.tasks result
        return context


class SetActionView(ActionView):
    """Run now / retry, delete or kill: chosen jobs, or every job matching a search."""

    def post(self, request: HttpRequest, jobset: SetInfo) -> HttpResponseBase:
        form = SetActionForm(request.POST)
        default = reverse("jobs:set", args=[jobset.slug])
        if not form.is_valid():
            self.say(_("Unknown action."), messages.ERROR)
            return self.back(default)
        action = Action(form.cleaned_data["action"])
        if action is Action.KILL and not jobset.can_kill:
            self.say(_("Dead jobs cannot be killed again."), messages.ERROR)
            return self.back(default)
        target = SortedJobSet(self.client, jobset.key)
        now = server_time(self.client)
        if form.cleaned_data["scope"] == "all":
            result = target.apply_matching(action, form.cleaned_data["q"], now)
            self.say(done_message(action, result.done))
            if not result.finished:
                self.say(_("More jobs match: run the action again for the rest."), messages.WARNING)
            return self.back(default)
        done = target.apply(action, target.find(form.keys), now)
        if done:
            self.say(done_message(action, done))
        else:
            self.say(
                _("Nothing changed: choose jobs first (they may have moved on)."), messages.WARNING
            )
        return self.back(default)
