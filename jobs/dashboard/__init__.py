"""The dashboard at /admin/jobs/: views, access control, parameters and metrics."""
