"""Ask a worker for today's advice through a django.tasks task, and print its result."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from project.mood.forms import MOODS
from project.mood.tasks import mood_advice


class Command(BaseCommand):
    help = (
        "Enqueue the mood_advice task (django.tasks, run by `manage.py runworker`), wait for "
        "its result and print it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mood", choices=[mood for mood, _ in MOODS])
        parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait (30)")

    def handle(self, *args: Any, **options: Any) -> None:
        result = mood_advice.enqueue(options["mood"])
        self.stdout.write(f"Enqueued task {result.id}; waiting for a worker to run it...")
        deadline = time.monotonic() + options["wait"]
        while not result.is_finished:
            if time.monotonic() > deadline:
                raise CommandError(
                    f"no worker ran task {result.id} within {options['wait']:g} s: "
                    "is `manage.py runworker` running?"
                )
            time.sleep(0.2)
            result.refresh()  # reads the result from Redis, wherever the task ran
        if result.status != "SUCCESSFUL":
            why = result.errors[-1].exception_class_path if result.errors else "no error kept"
            raise CommandError(f"task {result.id} failed: {why}")
        self.stdout.write(
            f"{result.status} after {result.attempts} attempt(s): {result.return_value}"
        )
