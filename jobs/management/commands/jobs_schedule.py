"""`manage.py jobs_schedule`: list the recurring entries, their state and next runs."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from datetime import datetime
from typing import Any

import redis
from django.core.management.base import BaseCommand, no_translations

from jobs.conf import get_settings
from jobs.recurring import control
from jobs.redis.connection import mask_url

COLUMNS = ("NAME", "ENABLED", "SCHEDULE", "JOB", "QUEUE", "NEXT RUN", "LAST RUN")


class Command(BaseCommand):
    help = "List the recurring jobs of JOBS['SCHEDULE']: schedule, enabled state, next runs."
    # Invalid entries are listed with their error rather than stopping the command.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--next",
            type=int,
            default=1,
            metavar="N",
            help="show the next N runs of each entry (default 1)",
        )

    @no_translations  # an English table: the schedule's words too, whatever LANGUAGE_CODE says
    def handle(self, *args: Any, **options: Any) -> None:
        now = time.time()
        try:
            entries = control.entries(now=now)
        except redis.RedisError as exc:
            url = mask_url(get_settings().REDIS_URL)
            self.stderr.write(
                f"Redis at {url} is unreachable ({exc}): "
                "enabled states are as configured and last runs are unknown."
            )
            entries = control.entries(now=now, with_state=False)
        if not entries:
            self.stdout.write("No recurring jobs: JOBS['SCHEDULE'] is empty.")
            return
        rows = [_row(entry, now) for entry in entries]
        widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
        for row in [COLUMNS, *rows]:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
        for entry in entries:
            self._details(entry, max(options["next"], 1), now)

    def _details(self, entry: control.RecurringEntry, count: int, now: float) -> None:
        if entry.error is not None:
            self.stdout.write(
                self.style.ERROR(f"\n{entry.name}: invalid, never runs: {entry.error}")
            )
            return
        if count < 2:
            return
        if not entry.enabled:
            self.stdout.write(f"\n{entry.name}: disabled, no next runs")
            return
        self.stdout.write(f"\n{entry.name}: next {count} runs ({entry.time_zone})")
        for moment in control.upcoming(entry.name, count, now):
            self.stdout.write(f"  {_when(moment)}")


def _row(entry: control.RecurringEntry, now: float) -> tuple[str, ...]:
    if entry.error is not None:
        enabled = "INVALID"
    elif entry.enabled != entry.enabled_in_settings:
        enabled = ("yes" if entry.enabled else "no") + " (dashboard)"
    else:
        enabled = "yes" if entry.enabled else "no"
    next_run = "-"
    if not entry.enabled:
        next_run = "- (disabled)"  # a disabled entry's ticks pass without a run
    elif entry.next_run is not None:
        next_run = f"{_when(entry.next_run)} ({_in(entry.next_run.timestamp() - now)})"
    last_run = "never"
    if entry.last_run is not None:
        status = f" {entry.last_status}" if entry.last_status else ""
        last_run = f"{_when(entry.last_run)}{status}"
    schedule = entry.schedule_words
    if schedule != entry.schedule and not entry.schedule.startswith("every"):
        schedule += f" ({entry.schedule})"
    return (
        entry.name,
        enabled,
        schedule,
        entry.job_class,
        entry.queue,
        next_run,
        last_run,
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


def _in(seconds: float) -> str:
    """Whole-unit countdown: "in 45 s", "in 12 min", "in 3 h 5 min", "in 2 d 4 h"."""
    whole = max(int(seconds + 0.999), 0)
    if whole < 60:
        return f"in {whole} s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    if whole < 3600:
        return f"in {minutes} min"
    if whole < 86400:
        return f"in {hours} h {minutes % 60} min"
    return f"in {days} d {hours % 24} h"
