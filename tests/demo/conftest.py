"""The demo's browser test drives the same Debian chromium as the dashboard's."""

from tests.dashboard.conftest import browser_type_launch_args

__all__ = ["browser_type_launch_args"]
