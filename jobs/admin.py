"""Link the dashboard from the admin index: its "changelist" is the dashboard itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from jobs.models import Dashboard

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Dashboard]
else:  # ModelAdmin is generic only in django-stubs
    ModelAdmin = admin.ModelAdmin


@admin.register(Dashboard)
class DashboardAdmin(ModelAdmin):
    """Every staff user sees the entry; it leads to /admin/jobs/."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the admin shows "View"; acting is checked by the dashboard itself

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("jobs:index"))
