"""Schedules in words, for the dashboard and `jobs_schedule`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from jobs.recurring.times import CronTimes, EveryTimes
from jobs.recurring.words import describe

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("1s", "every second"),
        ("30s", "every 30 seconds"),
        ("1m", "every minute"),
        ("5m", "every 5 minutes"),
        ("1h", "every hour"),
        ("12h", "every 12 hours"),
        ("1d", "every day at midnight"),
        ("2d", "every 2 days at midnight"),
    ],
)
def test_every_in_words(spec: str, words: str) -> None:
    assert describe(EveryTimes(spec, UTC)) == words


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("* * * * *", "every minute"),
        ("*/15 * * * *", "every 15 minutes"),
        ("0 * * * *", "at minute 0 of every hour"),
        ("@hourly", "at minute 0 of every hour"),
        ("5 */2 * * *", "every 2 hours at minute 5"),
        ("5 */1 * * *", "every hour at minute 5"),
        ("30 2 * * *", "every day at 02:30"),
        ("@daily", "every day at 00:00"),
        ("0 9,17 * * *", "every day at 09:00 and 17:00"),
        ("0 9 * * 1-5", "every Monday to Friday at 09:00"),
        ("0 9 * * mon,thu", "every Monday and Thursday at 09:00"),
        ("0 0 * * 0", "every Sunday at 00:00"),
        ("0 6 1 * *", "on day 1 of every month at 06:00"),
        ("0 0 1 1 *", "on 1 January every year at 00:00"),
        ("* * * * * *", "every second"),
        ("*/10 * * * * *", "every 10 seconds"),
        ("15 * * * * *", "at second 15 of every minute"),
        ("0 */5 * * * *", "every 5 minutes"),
        ("30 0 12 * * *", "every day at 12:00:30"),
    ],
)
def test_common_cron_forms_in_words(expression: str, words: str) -> None:
    assert describe(CronTimes(expression, UTC)) == words


@pytest.mark.parametrize(
    "expression", ["0 9 1-7 * 1", "*/7 9-17 * * *", "0 0 L * *", "0-30/10 * * * *"]
)
def test_other_cron_forms_fall_back_to_the_expression(expression: str) -> None:
    assert describe(CronTimes(expression, UTC)) == f"cron {expression}"


WORDS_IN = {
    # (schedule, {language: words})
    "30s": {"de": "alle 30 Sekunden", "fr": "toutes les 30 secondes"},
    "1m": {"de": "jede Minute", "fr": "chaque minute"},
    "2d": {"de": "alle 2 Tage um Mitternacht", "fr": "tous les 2 jours à minuit"},
    "0 * * * *": {"de": "zur Minute 0 jeder Stunde", "fr": "à la minute 0 de chaque heure"},
    "0 9,17 * * *": {"de": "jeden Tag um 09:00 und 17:00", "fr": "chaque jour à 09:00 et 17:00"},
    "0 9 * * 1-5": {"de": "jeden Montag bis Freitag um 09:00",
                    "fr": "chaque lundi au vendredi à 09:00"},
    "0 0 1 3 *": {"de": "jedes Jahr am 1. März um 00:00",
                  "fr": "chaque année le 1 mars à 00:00"},
}  # fmt: skip


@pytest.mark.parametrize("language", ["de", "fr"])
@pytest.mark.parametrize("schedule", list(WORDS_IN))
def test_words_follow_the_active_language(schedule: str, language: str) -> None:
    times = EveryTimes(schedule, UTC) if " " not in schedule else CronTimes(schedule, UTC)
    with translation.override(language):
        assert describe(times) == WORDS_IN[schedule][language]
    with translation.override("en"):
        assert describe(times) != WORDS_IN[schedule][language]
