"""The dashboard home, `stats.json` for scripts and the live graph, and `metrics`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_noop

from jobs.api import history, overview, redis_info, summaries
from jobs.conf import get_settings
from jobs.dashboard import metrics
from jobs.dashboard.forms import (
    DEFAULT_INTERVAL,
    HISTORY_DAYS,
    INTERVALS,
    MAX_HISTORY_DAYS,
    MAX_INTERVAL,
    clamp_int,
    clean_query,
)
from jobs.dashboard.views.base import DashboardView, PageView
from jobs.metrics import lifetime
from jobs.redis.connection import server_time


class IndexView(PageView):
    """Headline numbers, a live graph, the daily history and the Redis server."""

    template_name = "jobs/index.html"
    tab = "index"
    title = gettext_noop("Jobs")

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        params = self.request.GET
        interval = clamp_int(params.get("interval"), DEFAULT_INTERVAL, 1, MAX_INTERVAL)
        days = clamp_int(params.get("days"), 30, 1, MAX_HISTORY_DAYS)
        return {
            "redis": redis_info(self.client),
            "interval": interval,
            "intervals": INTERVALS,
            "days": days,
            "history_days": HISTORY_DAYS,
            "query": clean_query(params, {"interval": interval, "days": days}),
        }


class StatsJsonView(DashboardView):
    """The headline numbers as JSON; `?days=N` adds the daily history."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest) -> JsonResponse:
        client = self.client
        data: dict[str, Any] = {
            "time": server_time(client),
            "stats": overview(client).as_dict(),
            "redis": redis_info(client),
        }
        if "days" in request.GET:
            days = clamp_int(request.GET.get("days"), 30, 1, MAX_HISTORY_DAYS)
            today = datetime.now(UTC).date()
            past = history(client, days, today)
            data["history"] = {
                "days": days,
                "dates": past.dates,
                "processed": past.processed,
                "failed": past.failed,
            }
        return JsonResponse(data)


class MetricsView(DashboardView):
    """Prometheus text exposition: counters, and gauges per queue and per set."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest) -> HttpResponse:
        client = self.client
        queues = summaries(client, server_time(client), get_settings().queue_names())
        text = metrics.render(overview(client), queues, lifetime(client))
        return HttpResponse(text, content_type=metrics.CONTENT_TYPE)
