"""URLs of the dashboard; include with path("admin/jobs/", include("jobs.urls")).

Pages are GET; everything that changes state is a POST under `actions/`.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, register_converter

from jobs.dashboard.converters import JobKeyConverter, SetConverter
from jobs.dashboard.views.busy import BusyView, SignalView
from jobs.dashboard.views.found import FoundJobView
from jobs.dashboard.views.job_metrics import JobMetricsView
from jobs.dashboard.views.limits import LimitsView
from jobs.dashboard.views.overview import IndexView, MetricsView, StatsJsonView
from jobs.dashboard.views.queues import QueueActionView, QueuesView, QueueView
from jobs.dashboard.views.recurring import RecurringActionView, RecurringView
from jobs.dashboard.views.sets import JobView, SetActionView, SortedSetView
from jobs.dashboard.views.triage import FailureGroupsView, GroupActionView

register_converter(SetConverter, "jobset")
register_converter(JobKeyConverter, "jobkey")

app_name = "jobs"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", IndexView.as_view(), name="index"),
    path("stats.json", StatsJsonView.as_view(), name="stats_json"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("busy/", BusyView.as_view(), name="busy"),
    path("queues/", QueuesView.as_view(), name="queues"),
    path("queues/<path:name>", QueueView.as_view(), name="queue"),
    path("recurring/", RecurringView.as_view(), name="recurring"),
    path("job-metrics/", JobMetricsView.as_view(), name="job_metrics"),
    path("limits/", LimitsView.as_view(), name="limits"),
    path("find/", FoundJobView.as_view(), name="find"),
    path("<jobset:jobset>/", SortedSetView.as_view(), name="set"),
    path("<jobset:jobset>/groups/", FailureGroupsView.as_view(), name="set_groups"),
    path("<jobset:jobset>/<jobkey:key>", JobView.as_view(), name="job"),
    path("actions/busy/signal", SignalView.as_view(), name="busy_signal"),
    path(
        "actions/queues/clear", QueueActionView.as_view(), {"action": "clear"}, name="queue_clear"
    ),
    path(
        "actions/queues/delete",
        QueueActionView.as_view(),
        {"action": "delete"},
        name="queue_delete",
    ),
    path(
        "actions/queues/pause", QueueActionView.as_view(), {"action": "pause"}, name="queue_pause"
    ),
    path(
        "actions/queues/resume",
        QueueActionView.as_view(),
        {"action": "resume"},
        name="queue_resume",
    ),
    path("actions/<jobset:jobset>/", SetActionView.as_view(), name="set_action"),
    path("actions/<jobset:jobset>/group", GroupActionView.as_view(), name="set_group_action"),
    path(
        "actions/recurring/enqueue",
        RecurringActionView.as_view(),
        {"action": "enqueue"},
        name="recurring_enqueue",
    ),
    path(
        "actions/recurring/disable",
        RecurringActionView.as_view(),
        {"action": "disable"},
        name="recurring_disable",
    ),
    path(
        "actions/recurring/enable",
        RecurringActionView.as_view(),
        {"action": "enable"},
        name="recurring_enable",
    ),
]
