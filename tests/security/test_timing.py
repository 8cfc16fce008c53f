"""Wrong Basic passwords take as long whether they share nothing or all but the last char.

Attempts of the two kinds alternate in pairs, in random order within each pair, so
drift (CPU frequency, other processes, GC) falls on both alike. The test reports each
kind's median and the spread (interquartile range) of all attempts, and asserts only
that the medians differ by less than half that spread: a comparison that stops at the
first wrong character, with a password this long, would fail it by a wide margin,
while a constant-time one passes however loaded the machine is. What a leak looks like
on this machine (the same method pointed at a leaky `==`) is a measurement, not a test:
`python -m bench.timing_leak`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

import tests.duel
from jobs.dashboard import auth
from tests.dashboard.conftest import BASIC_USER, basic_header
from tests.figures import Profile, Reporter

PASSWORD = "".join(random.Random(9).choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(4096))
NOTHING_IN_COMMON = "#" * len(PASSWORD)  # "#" is not in the alphabet above
ALL_BUT_LAST = PASSWORD[:-1] + "#"
BAND = 0.5  # of the interquartile range of all attempts


def duel(first: Callable[[], Any], second: Callable[[], Any], pairs: int) -> dict[str, float]:
    """Time `pairs` calls of each (tests/duel.py), named as this test reports them."""
    none, all_but_one, iqr = tests.duel.duel(first, second, pairs)
    return {
        "none_median_us": none,
        "all_but_one_median_us": all_but_one,
        "difference_us": all_but_one - none,
        "iqr_us": iqr,
    }


def report(figures: Reporter, name: str, result: dict[str, float], pairs: int) -> None:
    figures(
        name,
        pairs=pairs,
        none_median_us=round(result["none_median_us"], 2),
        all_but_one_median_us=round(result["all_but_one_median_us"], 2),
        difference_us=round(result["difference_us"], 2),
        iqr_us=round(result["iqr_us"], 2),
        difference_in_iqr=round(result["difference_us"] / max(result["iqr_us"], 1e-9), 3),
    )


@pytest.fixture
def long_password(settings: Any) -> str:
    settings.JOBS = {**settings.JOBS, "ADMIN_USERNAME": BASIC_USER, "ADMIN_PASSWORD": PASSWORD}
    return PASSWORD


def test_wrong_passwords_answer_in_the_same_time_over_http(
    long_password: str, db: None, profile: Profile, figures: Reporter
) -> None:
    none = Client(HTTP_AUTHORIZATION=basic_header(BASIC_USER, NOTHING_IN_COMMON))
    close = Client(HTTP_AUTHORIZATION=basic_header(BASIC_USER, ALL_BUT_LAST))
    assert none.get("/admin/jobs/metrics").status_code == 401
    assert close.get("/admin/jobs/metrics").status_code == 401
    pairs = profile.pick(600, 5000)
    result = duel(
        lambda: none.get("/admin/jobs/metrics"), lambda: close.get("/admin/jobs/metrics"), pairs
    )
    report(figures, "wrong-password timing, HTTP", result, pairs)
    assert abs(result["difference_us"]) < BAND * result["iqr_us"]


def test_the_comparison_itself_takes_the_same_time(
    long_password: str, profile: Profile, figures: Reporter
) -> None:
    pairs = profile.pick(20_000, 200_000)
    result = duel(
        lambda: auth.basic_auth_matches(BASIC_USER, NOTHING_IN_COMMON),
        lambda: auth.basic_auth_matches(BASIC_USER, ALL_BUT_LAST),
        pairs,
    )
    report(figures, "wrong-password timing, compare", result, pairs)
    assert abs(result["difference_us"]) < BAND * result["iqr_us"]
