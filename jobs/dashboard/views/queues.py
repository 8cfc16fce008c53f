"""The Queues page (size, latency, paused), one queue's jobs (paged, searchable), delete,
clear, pause and resume."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext

from jobs.api import Queue, summaries
from jobs.api.queues import paused_names, valid_name
from jobs.conf import get_settings
from jobs.dashboard.forms import PER_PAGE_CHOICES, ListParams, Pager, QueueActionForm
from jobs.dashboard.views.base import ActionView, PageView
from jobs.redis.connection import server_time


class QueuesView(PageView):
    """Every queue (known to Redis or configured) with its size and latency."""

    template_name = "jobs/queues.html"
    tab = "queues"
    title = "Queues"

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
            raise Http404("No such queue.")
        self.title = f"Queue {name}"
        params = ListParams.parse(self.request.GET, newest_first=False)
        queue = Queue(self.client, name)
        found = queue.page(params.offset, params.per_page, params.newest_first, params.query)
        return {
            "queue": queue,
            "latency": queue.latency(server_time(self.client)),
            "paused": queue.paused,
            "found": found,
            "pager": Pager(params.page, params.per_page, found.total),
            "params": params,
            "per_page_choices": PER_PAGE_CHOICES,
            "query": params.link_query(self.request.GET),
        }


class QueueActionView(ActionView):
    """Delete one job from a queue, clear, pause or resume the queue."""

    def post(self, request: HttpRequest, action: str) -> HttpResponseBase:
        form = QueueActionForm(request.POST)
        if not form.is_valid() or not valid_name(form.cleaned_data["queue"]):
            self.say("That is not a queue name.", level=messages.ERROR)
            return self.back(reverse("jobs:queues"))
        queue = Queue(self.client, form.cleaned_data["queue"])
        if action in ("pause", "resume"):
            return self.pause_or_resume(queue, action)
        if action == "clear":
            count = queue.clear()
            self.say(f"Cleared queue {queue.name}: {count} job(s) deleted.")
            return self.back(reverse("jobs:queues"))
        if queue.delete(form.cleaned_data["job"]):
            self.say(f"Deleted the job from queue {queue.name}.")
        else:
            self.say("That job is no longer in the queue (it may have run).", messages.WARNING)
        return self.back(reverse("jobs:queue", args=[queue.name]))

    def pause_or_resume(self, queue: Queue, action: str) -> HttpResponseBase:
        if action == "pause":
            queue.pause()
            self.say(
                gettext("Paused queue %(name)s: no job of it starts until resumed.")
                % {"name": queue.name}
            )
        else:
            queue.resume()
            self.say(gettext("Resumed queue %(name)s.") % {"name": queue.name})
        return self.back(reverse("jobs:queues"))
