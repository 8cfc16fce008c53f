"""Fixtures of the dashboard tests: users of each kind, Basic auth, and Redis."""

from __future__ import annotations

import base64
import os
import shutil
from typing import Any

import pytest
import redis
from django.contrib.auth.models import Permission
from django.test import Client

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright's loop vs the ORM

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BASIC_USER, BASIC_PASSWORD = "ops", "s3cret-pass"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, never a downloaded one."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def r(redis_client: redis.Redis) -> redis.Redis:
    """The flushed private Redis database the dashboard reads (short name)."""
    return redis_client


@pytest.fixture
def superuser(transactional_db: None, django_user_model: Any) -> Any:
    """A superuser with a password, for the browser tests (live server: transactional)."""
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "correct horse")


@pytest.fixture
def staff(db: None, django_user_model: Any) -> Any:
    """A staff user with the dashboard's change permission (may act)."""
    user = django_user_model.objects.create_user("operator", password=None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_dashboard"))
    return user


@pytest.fixture
def staff_client(staff: Any, redis_client: redis.Redis) -> Client:
    """Logged in as a staff user who may act."""
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def viewer_client(db: None, django_user_model: Any, redis_client: redis.Redis) -> Client:
    """Logged in as staff without the change permission (may only look)."""
    user = django_user_model.objects.create_user("viewer", password=None, is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member_client(db: None, django_user_model: Any, redis_client: redis.Redis) -> Client:
    """Logged in as an active user who is not staff."""
    user = django_user_model.objects.create_user("member", password=None)
    client = Client()
    client.force_login(user)
    return client


def basic_header(username: str, password: str) -> str:
    """An Authorization header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def basic_auth(settings: Any, redis_client: redis.Redis) -> tuple[str, str]:
    """Configure JOBS ADMIN_USERNAME/ADMIN_PASSWORD; return the pair."""
    settings.JOBS = {
        **settings.JOBS,
        "ADMIN_USERNAME": BASIC_USER,
        "ADMIN_PASSWORD": BASIC_PASSWORD,
    }
    return BASIC_USER, BASIC_PASSWORD


@pytest.fixture
def basic_client(basic_auth: tuple[str, str], db: None) -> Client:
    """A client sending the right Basic credentials on every request."""
    return Client(HTTP_AUTHORIZATION=basic_header(*basic_auth))
