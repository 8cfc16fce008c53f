"""Time two calls against each other, as the timing test and bench/timing_leak.py do.

Free of Django, so the bench script can use it on its own.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any, NamedTuple


class Duel(NamedTuple):
    """Medians of each side's calls and the interquartile range of all of them, in µs."""

    first_median_us: float
    second_median_us: float
    iqr_us: float


def duel(first: Callable[[], Any], second: Callable[[], Any], pairs: int) -> Duel:
    """Time `pairs` calls of each, alternating, in random order within each pair (in µs)."""
    rng = random.Random(1)
    times: dict[int, list[float]] = {0: [], 1: []}
    calls = (first, second)
    for _ in range(20):  # warm up both paths
        first(), second()
    for _ in range(pairs):
        order = (0, 1) if rng.random() < 0.5 else (1, 0)
        for which in order:
            began = time.perf_counter_ns()
            calls[which]()
            times[which].append((time.perf_counter_ns() - began) / 1000)
    quartiles = statistics.quantiles(sorted(times[0] + times[1]), n=4)
    return Duel(
        statistics.median(times[0]), statistics.median(times[1]), quartiles[2] - quartiles[0]
    )
