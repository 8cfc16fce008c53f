"""The admin index links the dashboard; the permissions exist."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.test import Client


def test_permissions_exist(db: None) -> None:
    codenames = set(
        Permission.objects.filter(content_type__app_label="jobs").values_list("codename", flat=True)
    )
    assert {"view_dashboard", "change_dashboard"} <= codenames
    assert "add_dashboard" not in codenames


def test_admin_index_links_the_dashboard_for_any_staff(viewer_client: Client) -> None:
    body = viewer_client.get("/admin/").content.decode()
    assert 'href="/admin/jobs/dashboard/"' in body


def test_changelist_redirects_to_the_dashboard(viewer_client: Client) -> None:
    response = viewer_client.get("/admin/jobs/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/jobs/"


def test_nothing_can_be_added(admin_client: Client) -> None:
    assert admin_client.get("/admin/jobs/dashboard/add/").status_code == 403
