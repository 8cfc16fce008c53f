"""A read/act model over Sidekiq's keys: queues, the three job sets, processes, stats.

Used by the dashboard; usable from a shell or a script too:

    from jobs.api import SortedJobSet, Action
    SortedJobSet(get_redis(), "dead").apply_matching(Action.ENQUEUE, "Timeout", now)
"""

from __future__ import annotations

from jobs.api.find import FoundJob, find
from jobs.api.processes import Process, ProcessSet, RunningJob
from jobs.api.queues import Queue, QueueSummary, summaries
from jobs.api.records import JobRecord
from jobs.api.search import JobPage
from jobs.api.sorted_sets import Action, BulkResult, SortedJobSet
from jobs.api.stats import History, Overview, history, overview, redis_info

__all__ = [
    "Action",
    "BulkResult",
    "FoundJob",
    "History",
    "JobPage",
    "JobRecord",
    "Overview",
    "Process",
    "ProcessSet",
    "Queue",
    "QueueSummary",
    "RunningJob",
    "SortedJobSet",
    "find",
    "history",
    "overview",
    "redis_info",
    "summaries",
]
