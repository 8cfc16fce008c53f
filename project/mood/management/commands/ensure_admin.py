"""Create the demo's admin account unless it exists; safe to run on every start."""

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a superuser from DJANGO_SUPERUSER_USERNAME / DJANGO_SUPERUSER_PASSWORD "
        "(default admin / admin) unless one with that name exists."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or "admin"
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(f"Admin user {username!r} exists; its password was left as it is.")
            return
        user_model.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(f"Created admin user {username!r} with password {password!r}.")
