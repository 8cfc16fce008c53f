"""The Limits page: each limiter (jobs.limits), its use now and how often it said no."""

from __future__ import annotations

from typing import Any

from jobs.dashboard.views.base import PageView
from jobs.limits.usage import limiters


class LimitsView(PageView):
    """Every limiter asked recently, most recent first."""

    template_name = "jobs/limits.html"
    tab = "limits"
    title = "Limits"

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        return {"limiters": limiters(self.client)}
