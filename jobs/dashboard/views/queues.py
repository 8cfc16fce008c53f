"""The Queues page (size, latency, paused), one queue's jobs (paged, searchable), delete,
clear, pause and resume.

A queue page exists for a queue Redis knows (in the `queues` set, or holding jobs) or
the settings name; any other name is a 404, never an empty queue "keeping up".
"""

from __future__ import annotations

from typing import Any

import redis
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jobs.api import Queue, summaries
from jobs.api.queues import paused_names, valid_name
from jobs.conf import get_settings
from jobs.dashboard.forms import PER_PAGE_CHOICES, ListParams, Pager, QueueActionForm
from jobs.dashboard.views.base import ActionView, PageView
from jobs.redis import keys
from jobs.redis.connection import server_time


class QueuesView(PageView):
    """Every queue (known to Redis or configured) with its size and latency."""

    template_name = "jobs/queues.html"
    tab = "queues"
    title = gettext_noop("Queues")

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        client = self.client
        queues = summaries(client, server_time(client), get_settings().queue_names())
        return {"queues": queues, "paused": paused_names(client)}


class QueueView(PageView):
    """The jobs waiting in one queue, next to run first unless asked otherwise."""

    template_name = "jobs/queue.html"
    tab = "queues"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        name = str(kwargs["name"])
        if not valid_name(name):
            raise Http404(_("No such queue."))
        queue = Queue(self.client, name)
        if not known(self.client, queue):
            raise Http404(_("No such queue."))
        self.title = _("Queue %(name)s") % {"name": name}
        params = ListParams.parse(self.request.GET, newest_first=False)
        found = queue.page(params.offset, params.per_page, params.newest_first, params.query)
        return {
            "queue": queue,
            "size": queue.size(),
            "latency": queue.latency(server_time(self.client)),
            "paused": queue.paused,
            "found": found,
            "pager": Pager(params.page, params.per_page, found.total),
            "params": params,
            "per_page_choices": PER_PAGE_CHOICES,
            "query": params.link_query(self.request.GET),
        }


def known(client: redis.Redis, queue: Queue) -> bool:
    """Whether the queue is configured, in the `queues` set, or holds jobs."""
    if queue.name in get_settings().queue_names():
        return True
    return bool(client.sismember(keys.QUEUES, queue.name)) or queue.size() > 0


class QueueActionView(ActionView):
    """Delete one job from a queue, clear, pause or resume the queue."""

    def post(self, request: HttpRequest, action: str) -> HttpResponseBase:
        form = QueueActionForm(request.POST)
        if not form.is_valid() or not valid_name(form.cleaned_data["queue"]):
            self.say(_("That is not a queue name."), level=messages.ERROR)
            return self.back(reverse("jobs:queues"))
        queue = Queue(self.client, form.cleaned_data["queue"])
        if action in ("pause", "resume"):
            return self.pause_or_resume(queue, action)
        if action == "clear":
            count = queue.clear()
            text = ngettext(
                "Cleared queue %(name)s: %(count)d job deleted.",
                "Cleared queue %(name)s: %(count)d jobs deleted.",
                count,
            )
            self.say(text % {"name": queue.name, "count": count})
            return self.back(reverse("jobs:queues"))
        if queue.delete(form.cleaned_data["job"]):
            self.say(_("Deleted the job from queue %(name)s.") % {"name": queue.name})
        else:
            self.say(_("That job is no longer in the queue (it may have run)."), messages.WARNING)
        if not known(self.client, queue):  # its page would be a 404 now
            return self.back(reverse("jobs:queues"))
        return self.back(reverse("jobs:queue", args=[queue.name]))

    def pause_or_resume(self, queue: Queue, action: str) -> HttpResponseBase:
        if action == "pause":
            queue.pause()
            self.say(
                _("Paused queue %(name)s: no job of it starts until resumed.")
                % {"name": queue.name}
            )
        else:
            queue.resume()
            self.say(_("Resumed queue %(name)s.") % {"name": queue.name})
        return self.back(reverse("jobs:queues"))
