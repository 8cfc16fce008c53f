"""Retries and Dead grouped by error, and one action per group (jobs.api.triage)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from jobs.api import Action, SortedJobSet
from jobs.api.triage import WINDOWS, act_on_group, group_failures
from jobs.dashboard.converters import SetInfo
from jobs.dashboard.forms import GroupActionForm
from jobs.dashboard.views.base import ActionView, PageView
from jobs.redis.connection import server_time


def failure_set(info: SetInfo) -> SetInfo:
    """`info` if its set holds failures (Retries, Dead); scheduled jobs have no error."""
    if info.slug == "scheduled":
        raise Http404("Scheduled jobs have not failed: nothing to group.")
    return info


class FailureGroupsView(PageView):
    """The newest members of Retries or Dead, grouped by error class and masked message."""

    template_name = "jobs/failure_groups.html"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        info = failure_set(kwargs["jobset"])
        self.title = gettext("%(set)s by error") % {"set": info.title}
        self.tab = f"set:{info.slug}"
        triage = group_failures(SortedJobSet(self.client, info.key), server_time(self.client))
        return {"info": info, "triage": triage, "windows": list(WINDOWS)}


def done_message(action: Action, count: int) -> str:
    """What the operator reads after a group action."""
    if action is Action.ENQUEUE:
        text = ngettext("%(n)d job sent to its queue.", "%(n)d jobs sent to their queues.", count)
    elif action is Action.DELETE:
        text = ngettext("%(n)d job deleted.", "%(n)d jobs deleted.", count)
    else:
        text = ngettext("%(n)d job moved to Dead.", "%(n)d jobs moved to Dead.", count)
    return text % {"n": count}


class GroupActionView(ActionView):
    """Retry, delete or kill every member of one group, among the same newest members."""

    def post(self, request: HttpRequest, jobset: SetInfo) -> HttpResponseBase:
        info = failure_set(jobset)
        form = GroupActionForm(request.POST)
        default = reverse("jobs:set_groups", args=[info.slug])
        if not form.is_valid():
            self.say(gettext("Unknown action or group."), messages.ERROR)
            return self.back(default)
        action = Action(form.cleaned_data["action"])
        if action is Action.KILL and not info.can_kill:
            self.say(gettext("Dead jobs cannot be killed again."), messages.ERROR)
            return self.back(default)
        target = SortedJobSet(self.client, info.key)
        done = act_on_group(target, action, form.cleaned_data["group"], server_time(self.client))
        if done:
            self.say(done_message(action, done))
        else:
            self.say(gettext("Nothing changed: the group's jobs have moved on."), messages.WARNING)
        return self.back(default)
