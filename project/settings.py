"""Settings of the demo project, read from the environment (and `.env` when present).

Every value has a default that works on a developer machine; `.env.example` lists them.
"""

from importlib.util import find_spec
from pathlib import Path
from typing import Any

import django
import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Real environment variables win over the file: read_env() never overwrites them.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG: bool = env.bool("DEBUG", default=False)
# The default key is only good for development; `manage.py check --deploy` flags it.
SECRET_KEY: str = env("SECRET_KEY", default="django-insecure-dev-only-set-SECRET_KEY-in-production")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "jobs",
    "project.mood",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE: str = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
if find_spec("whitenoise") is not None:
    # The production image (deploy/Dockerfile) serves collected static files from the web
    # process when DEBUG is off; runserver serves them itself in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# Mail: EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.com:587) or the
# EMAIL_* variables one by one. In DEBUG, mail is printed to the console by default.
if env("EMAIL_URL", default=None):
    _email: dict[str, Any] = env.email_url("EMAIL_URL")
else:
    _email = {
        "EMAIL_BACKEND": env(
            "EMAIL_BACKEND",
            default="django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
        "EMAIL_HOST": env("EMAIL_HOST", default="localhost"),
        "EMAIL_PORT": env.int("EMAIL_PORT", default=25),
        "EMAIL_HOST_USER": env("EMAIL_HOST_USER", default=""),
        "EMAIL_HOST_PASSWORD": env("EMAIL_HOST_PASSWORD", default=""),
        "EMAIL_USE_TLS": env.bool("EMAIL_USE_TLS", default=False),
        "EMAIL_USE_SSL": env.bool("EMAIL_USE_SSL", default=False),
    }
_smtp: dict[str, Any] = {
    "host": _email.get("EMAIL_HOST") or "localhost",
    "port": _email.get("EMAIL_PORT") or 25,
    "username": _email.get("EMAIL_HOST_USER") or "",
    "password": _email.get("EMAIL_HOST_PASSWORD") or "",
    "use_tls": bool(_email.get("EMAIL_USE_TLS", False)),
    "use_ssl": bool(_email.get("EMAIL_USE_SSL", False)),
}
_use_mailers = django.VERSION >= (6, 1)
if _use_mailers:
    # Django 6.1 deprecates EMAIL_* in favour of MAILERS (and refuses both at once);
    # 5.2 only knows EMAIL_*. The same environment variables fill either.
    _backend: str = _email["EMAIL_BACKEND"]
    _smtp_path = "django.core.mail.backends.smtp.EmailBackend"
    if _backend == "jobs.mail.backends.QueuedEmailBackend":
        # Mail goes through the queue; the worker sends it with the "smtp" mailer.
        MAILERS: dict[str, dict[str, Any]] = {
            "default": {"BACKEND": _backend, "OPTIONS": {"mailer": "smtp"}},
            "smtp": {"BACKEND": _smtp_path, "OPTIONS": _smtp},
        }
    else:
        _options = _smtp if _backend == _smtp_path else {}
        MAILERS = {"default": {"BACKEND": _backend, "OPTIONS": _options}}
else:
    EMAIL_BACKEND: str = _email["EMAIL_BACKEND"]
    EMAIL_HOST: str = _smtp["host"]
    EMAIL_PORT: int = _smtp["port"]
    EMAIL_HOST_USER: str = _smtp["username"]
    EMAIL_HOST_PASSWORD: str = _smtp["password"]
    EMAIL_USE_TLS: bool = _smtp["use_tls"]
    EMAIL_USE_SSL: bool = _smtp["use_ssl"]
DEFAULT_FROM_EMAIL: str = env("DEFAULT_FROM_EMAIL", default="Daily Mood <mood@example.com>")

JOBS = {
    "REDIS_URL": env("REDIS_URL", default="redis://127.0.0.1:6379/0"),
    "QUEUES": [("critical", 100), ("default", 50), ("mailers", 25), ("low_priority", 1)],
    "CONCURRENCY": 10,  # threads per worker process
    "SHUTDOWN_TIMEOUT": 25,  # seconds a stopping worker waits for running jobs
    "ADMIN_USERNAME": env("JOBS_ADMIN_USERNAME", default=None),
    "ADMIN_PASSWORD": env("JOBS_ADMIN_PASSWORD", default=None),
    "SCHEDULE": {},  # recurring jobs, see README "Recurring jobs"
}

# Django's task framework (django.tasks; on Django 5.2 the django-tasks backport): tasks
# run by `manage.py runworker` from the same queues as the jobs. See docs/tasks.md.
TASKS = {
    "default": {
        "BACKEND": "jobs.tasks.JobsBackend",
        "QUEUES": [name for name, _ in JOBS["QUEUES"]],
        "OPTIONS": {"RETRY": 25, "RESULT_TTL": 86400},
    }
}
if django.VERSION < (6, 0) and find_spec("django_tasks") is not None:
    INSTALLED_APPS.append("django_tasks")  # the backport's checks and signals

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "loggers": {
        "jobs": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "project": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
