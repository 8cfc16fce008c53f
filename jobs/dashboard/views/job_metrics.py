"""The Metrics page: per job class, runs, failures, time and percentiles over a window."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from jobs.dashboard import charts
from jobs.dashboard.forms import clamp_int, clean_query
from jobs.dashboard.views.base import PageView
from jobs.metrics import read_window
from jobs.metrics.query import WINDOWS
from jobs.redis.connection import server_time

MAX_ROWS = 200  # classes shown; the window reads at most 500


class JobMetricsView(PageView):
    """Sidekiq's Metrics tab, read from the same keys: one row and one chart per class."""

    template_name = "jobs/job_metrics.html"
    tab = "metrics"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        self.title = gettext("Metrics")
        hours = clamp_int(self.request.GET.get("hours"), 1, 1, max(WINDOWS))
        hours = hours if hours in WINDOWS else 1
        window = read_window(self.client, server_time(self.client), hours)
        rows = [
            {"metrics": m, "bars": charts.bars(m.runs_series, m.failures_series)}
            for m in window.classes[:MAX_ROWS]
        ]
        return {
            "window": window,
            "rows": rows,
            "hidden": max(0, len(window.classes) - MAX_ROWS),
            "windows": WINDOWS,
            "chart": {"width": charts.WIDTH, "height": charts.HEIGHT},
            "query": clean_query(self.request.GET, {"hours": hours}),
        }
