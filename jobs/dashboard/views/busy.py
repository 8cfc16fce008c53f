"""The Busy page: worker processes (paged), their running jobs, quiet and stop.

The head sums every live process: threads busy of all threads (utilisation) and the
memory (RSS) their heartbeats report. While a quiet or stop is on its way, or a process
is stopping, the page reloads itself every few seconds until the change shows.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jobs.api import ProcessSet
from jobs.api.processes import grouped
from jobs.dashboard.forms import ListParams, Pager, SignalForm
from jobs.dashboard.views.base import ActionView, PageView

MAX_PROCESSES_PER_PAGE = 100
REFRESH_SECONDS = 3


class BusyView(PageView):
    """Live processes (host, pid, tag, queues, threads, RSS, heartbeat) and their jobs."""

    template_name = "jobs/busy.html"
    tab = "busy"
    title = gettext_noop("Busy")

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        params = ListParams.parse(self.request.GET)
        per_page = min(params.per_page, MAX_PROCESSES_PER_PAGE)
        processes = ProcessSet(self.client)
        alive = grouped(processes.alive())  # a supervisor's children side by side
        pager = Pager(params.page, per_page, len(alive))
        shown = alive[(pager.page - 1) * per_page : pager.page * per_page]
        threads = sum(process.concurrency or 0 for process in alive)
        busy = sum(process.busy for process in alive)
        changing = any(p.pending or p.stopping for p in alive)
        return {
            "processes": shown,
            "pager": pager,
            "running": processes.running([process.identity for process in shown]),
            "threads": threads,
            "busy_total": busy,
            "utilisation": min(100, round(100 * busy / threads)) if threads else 0,
            "rss_total": sum(process.rss_kb or 0 for process in alive),
            "process_total": len(alive),
            "refresh": REFRESH_SECONDS if changing else 0,
            "query": params.link_query(self.request.GET, per_page),
        }


class SignalView(ActionView):
    """Quiet (TSTP) or stop (TERM) one process, or all, through its signals list."""

    def post(self, request: HttpRequest) -> HttpResponseBase:
        form = SignalForm(request.POST)
        default = reverse("jobs:busy")
        if not form.is_valid():
            self.say(_("Choose a process and quiet or stop."), level=40)
            return self.back(default)
        identity, signal = form.cleaned_data["identity"], form.cleaned_data["signal"]
        processes = ProcessSet(self.client)
        targets = [p.identity for p in processes.alive()] if identity == "*" else [identity]
        sent = sum(processes.signal(target, signal) for target in targets)
        if sent and signal == "quiet":
            self.say(
                _("Asked %(count)d process(es) to quiet; they obey at their next heartbeat.")
                % {"count": sent}
            )
        elif sent:
            self.say(
                _("Asked %(count)d process(es) to stop; they obey at their next heartbeat.")
                % {"count": sent}
            )
        else:
            self.say(_("No such live process: it may have stopped already."), level=30)
        return self.back(default)
