"""The Recurring page slot."""

from __future__ import annotations

from django.test import Client


def test_empty_state(staff_client: Client) -> None:
    body = staff_client.get("/admin/jobs/recurring/").content.decode()
    assert "No recurring jobs configured" in body
    assert 'aria-current="page">Recurring' in body


def test_configured_entries_are_listed(staff_client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JOBS = {
        **settings.JOBS,
        "SCHEDULE": {"cleanup": {"cron": "0 * * * *", "class": "app.jobs.Cleanup"}},
    }
    body = staff_client.get("/admin/jobs/recurring/").content.decode()
    assert "cleanup" in body
    assert "0 * * * *" in body
    assert "app.jobs.Cleanup" in body
