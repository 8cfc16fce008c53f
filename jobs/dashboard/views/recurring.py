"""The Recurring page: a slot for the recurring-jobs scheduler to fill in."""

from __future__ import annotations

from typing import Any

from jobs.conf import get_settings
from jobs.dashboard.views.base import PageView


class RecurringView(PageView):
    """The entries of JOBS["SCHEDULE"]; last and next runs come with `jobs.recurring`."""

    template_name = "jobs/recurring.html"
    tab = "recurring"
    title = "Recurring"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        entries = [
            {
                "name": str(name),
                "schedule": str(spec.get("cron") or spec.get("every") or ""),
                "class": str(spec.get("class") or ""),
                "queue": str(spec.get("queue") or "default"),
            }
            for name, spec in get_settings().SCHEDULE.items()
            if isinstance(spec, dict)
        ]
        return {"entries": entries}
