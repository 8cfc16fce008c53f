"""Views of the dashboard, one module per page family; every one is a DashboardView."""
