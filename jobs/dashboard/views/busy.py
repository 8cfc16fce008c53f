"""The Busy page: worker processes (paged), their running jobs, quiet and stop."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from jobs.api import ProcessSet
from jobs.api.processes import grouped
from jobs.dashboard.forms import ListParams, Pager, SignalForm
from jobs.dashboard.views.base import ActionView, PageView

MAX_PROCESSES_PER_PAGE = 100


class BusyView(PageView):
    """Live processes (host, pid, tag, queues, threads, RSS, heartbeat) and their jobs."""

    template_name = "jobs/busy.html"
    tab = "busy"
    title = "Busy"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        params = ListParams.parse(self.request.GET)
        per_page = min(params.per_page, MAX_PROCESSES_PER_PAGE)
        processes = ProcessSet(self.client)
        alive = grouped(processes.alive())  # a supervisor's children side by side
        pager = Pager(params.page, per_page, len(alive))
        shown = alive[(pager.page - 1) * per_page : pager.page * per_page]
        return {
            "processes": shown,
            "pager": pager,
            "running": processes.running([process.identity for process in shown]),
            "threads": sum(process.concurrency or 0 for process in alive),
            "busy_total": sum(process.busy for process in alive),
            "process_total": len(alive),
            "query": params.link_query(self.request.GET, per_page),
        }


class SignalView(ActionView):
    """Quiet (TSTP) or stop (TERM) one process, or all, through its signals list."""

    def post(self, request: HttpRequest) -> HttpResponseBase:
        form = SignalForm(request.POST)
        default = reverse("jobs:busy")
        if not form.is_valid():
            self.say("Choose a process and quiet or stop.", level=40)
            return self.back(default)
        identity, signal = form.cleaned_data["identity"], form.cleaned_data["signal"]
        processes = ProcessSet(self.client)
        targets = [p.identity for p in processes.alive()] if identity == "*" else [identity]
        sent = sum(processes.signal(target, signal) for target in targets)
        verb = "quiet" if signal == "quiet" else "stop"
        if sent:
            self.say(f"Asked {sent} process(es) to {verb}; they obey at their next heartbeat.")
        else:
            self.say("No such live process: it may have stopped already.", level=30)
        return self.back(default)
