"""Settings of the worker processes the mail tests start: SMTP on a loopback test port.

The test process passes TEST_SMTP_PORT (the aiosmtpd server), TEST_SMTP_TIMEOUT (a short
JOBS["EMAIL_TIMEOUT"]) and TEST_EMAIL_BACKEND ("smtp", or "queued" for a site whose
EMAIL_BACKEND is the queued one).
"""

import os

import django

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, JOBS

SMTP = "django.core.mail.backends.smtp.EmailBackend"
QUEUED = "jobs.mail.backends.QueuedEmailBackend"

# tests.mail.mailers is found by the app's "mailers" autodiscovery, its templates by APP_DIRS.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.mail"]

_queued = os.environ.get("TEST_EMAIL_BACKEND") == "queued"
_smtp = {
    "host": "127.0.0.1",
    "port": int(os.environ.get("TEST_SMTP_PORT", "2525")),
    "username": "",
    "password": "",
    "use_tls": False,
    "use_ssl": False,
    "timeout": None,  # so the worker must fall back to JOBS["EMAIL_TIMEOUT"]
}
if django.VERSION >= (6, 1):
    # Django 6.1 deprecates EMAIL_* for MAILERS (project/settings.py defines MAILERS there).
    MAILERS = {
        "default": {"BACKEND": QUEUED, "OPTIONS": {"mailer": "smtp"}}
        if _queued
        else {"BACKEND": SMTP, "OPTIONS": _smtp},
        "smtp": {"BACKEND": SMTP, "OPTIONS": _smtp},
    }
else:
    EMAIL_BACKEND = QUEUED if _queued else SMTP
    EMAIL_HOST = _smtp["host"]
    EMAIL_PORT = _smtp["port"]
    EMAIL_HOST_USER = ""
    EMAIL_HOST_PASSWORD = ""
    EMAIL_USE_TLS = False
    EMAIL_USE_SSL = False
    EMAIL_TIMEOUT = None
DEFAULT_FROM_EMAIL = "Jobs Tests <tests@example.com>"

JOBS = {
    **JOBS,
    "EMAIL_BACKEND": SMTP,
    "EMAIL_TIMEOUT": float(os.environ.get("TEST_SMTP_TIMEOUT", "2")),
}
