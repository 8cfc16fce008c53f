"""Settings of the worker processes the mail tests start: SMTP on a loopback test port.

The test process passes TEST_SMTP_PORT (the aiosmtpd server), TEST_SMTP_TIMEOUT (a short
JOBS["EMAIL_TIMEOUT"]) and TEST_EMAIL_BACKEND ("smtp", or "queued" for a site whose
EMAIL_BACKEND is the queued one).
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, JOBS

SMTP = "django.core.mail.backends.smtp.EmailBackend"
QUEUED = "jobs.mail.backends.QueuedEmailBackend"

# tests.mail.mailers is found by the app's "mailers" autodiscovery, its templates by APP_DIRS.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.mail"]

EMAIL_BACKEND = QUEUED if os.environ.get("TEST_EMAIL_BACKEND") == "queued" else SMTP
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("TEST_SMTP_PORT", "2525"))
EMAIL_HOST_USER = ""
EMAIL_HOST_PASSWORD = ""
EMAIL_USE_TLS = False
EMAIL_USE_SSL = False
EMAIL_TIMEOUT = None  # so the worker must fall back to JOBS["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = "Jobs Tests <tests@example.com>"

JOBS = {
    **JOBS,
    "EMAIL_BACKEND": SMTP,
    "EMAIL_TIMEOUT": float(os.environ.get("TEST_SMTP_TIMEOUT", "2")),
}
