"""The one gate every dashboard route goes through, and what all pages share.

1. `DashboardView.dispatch` checks CSRF (Django's own check, as the admin runs it, so
   a forged POST's 403 carries the headers too, and the check holds even in a project
   without CsrfViewMiddleware), authenticates (session staff or Basic), refuses
   methods a route does not take (405), refuses acting without the change permission
   (403), turns a Redis outage into a readable 503 page, and puts the security headers
   on every response, refusals included.
2. `PageView` renders a template inside the admin's look with the navigation, its
   live counts and the admin's own context (header, sidebar, theme toggle).
3. `ActionView` takes POSTs only and redirects back with a message.
"""

from __future__ import annotations

from typing import Any, ClassVar

import redis
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseBase, HttpResponseForbidden, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, gettext_noop
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from jobs.api import overview
from jobs.conf import get_settings
from jobs.dashboard.auth import Access, authenticate
from jobs.dashboard.converters import SETS
from jobs.dashboard.forms import DEFAULT_INTERVAL
from jobs.dashboard.security import is_dashboard_url, secure
from jobs.redis.connection import get_redis, mask_url

# (tab id, label, URL name, URL args, overview number shown beside it); labels and
# page titles are marked here and translated when a page is rendered.
TABS: list[tuple[str, str, str, tuple[str, ...], str]] = [
    ("index", gettext_noop("Dashboard"), "jobs:index", (), ""),
    ("busy", gettext_noop("Busy"), "jobs:busy", (), "busy"),
    ("queues", gettext_noop("Queues"), "jobs:queues", (), "enqueued"),
    *((f"set:{s.slug}", s.title, "jobs:set", (s.slug,), s.slug) for s in SETS.values()),
    ("recurring", gettext_noop("Recurring"), "jobs:recurring", (), ""),
    ("metrics", gettext_noop("Metrics"), "jobs:job_metrics", (), ""),
    ("limits", gettext_noop("Limits"), "jobs:limits", (), ""),
]


class DashboardView(View):
    """Base of every dashboard route: access, method, permission, errors, headers."""

    acts: ClassVar[bool] = False
    access: Access

    @method_decorator(csrf_exempt)  # not skipped: checked below, inside the headers
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return secure(csrf_protect(self.gate)(request, *args, **kwargs))

    def gate(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Access, method and permission checks, then the view; errors become pages."""
        outcome = authenticate(request)
        if isinstance(outcome, HttpResponseBase):
            return outcome
        self.access = outcome
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            return self.http_method_not_allowed(request, *args, **kwargs)
        if self.acts and not outcome.can_act:
            return HttpResponseForbidden(
                gettext("You may look but not act: ask for the permission.")
            )
        try:
            response = super().dispatch(request, *args, **kwargs)
            if isinstance(response, TemplateResponse):
                response.render()  # inside the try: Redis is read lazily by templates too
        except redis.RedisError as exc:
            response = self.unavailable(request, exc)
        return response

    @property
    def client(self) -> redis.Redis:
        """The shared Redis client."""
        return get_redis()

    def unavailable(self, request: HttpRequest, exc: redis.RedisError) -> TemplateResponse:
        """A 503 page saying which Redis cannot be reached (password masked)."""
        context = {
            **admin.site.each_context(request),
            "title": gettext("Redis unavailable"),
            "redis_url": mask_url(get_settings().REDIS_URL),
            "error": f"{type(exc).__name__}: {exc}",
        }
        response = TemplateResponse(request, "jobs/unavailable.html", context, status=503)
        response.render()
        return response


class PageView(DashboardView):
    """A GET page rendered inside the admin's base template."""

    http_method_names = ["get", "head"]
    template_name: ClassVar[str]
    tab: str = ""
    title: str = ""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> TemplateResponse:
        context = self.page_context(**kwargs)
        status = int(context.pop("status", 200))
        full = {**self.shared_context(), **context}
        # Where actions come back to: this page with its own parameters (never the raw
        # query string, which a form on every row would repeat hundreds of times).
        query = full["query"].urlencode()
        full["here"] = f"{request.path}?{query}" if query else request.path
        return TemplateResponse(request, self.template_name, full, status=status)

    def page_context(self, **kwargs: Any) -> dict[str, Any]:
        """What this page shows; a "status" entry sets the response status."""
        return {}

    def shared_context(self) -> dict[str, Any]:
        """The admin's context, the navigation with counts, and what the JS needs."""
        numbers = overview(self.client)
        counts = numbers.as_dict()
        tabs = [
            {
                "label": gettext(label),
                "url": reverse(url_name, args=args),
                "active": tab == self.tab,
                "stat": stat,
                "count": counts.get(stat, 0),
            }
            for tab, label, url_name, args, stat in TABS
        ]
        return {
            **admin.site.each_context(self.request),
            "title": gettext(self.title),
            "tabs": tabs,
            "overview": numbers,
            "can_act": self.access.can_act,
            "interval": DEFAULT_INTERVAL,
            "query": QueryDict(),  # what the page's links carry; pages with parameters set it
        }


class ActionView(DashboardView):
    """A POST-only route that changes state, then redirects back with a message."""

    http_method_names = ["post"]
    acts = True

    def back(self, default: str) -> HttpResponseBase:
        """Redirect to the form's `next` if it is a dashboard URL here, else to `default`."""
        target = str(self.request.POST.get("next") or "")
        return redirect(target if is_dashboard_url(target, self.request) else default)

    def say(self, text: str, level: int = messages.SUCCESS) -> None:
        """Show `text` on the next page (silently skipped without the messages app)."""
        messages.add_message(self.request, level, text, fail_silently=True)
