"""What a timing leak looks like on this machine: `==` on 1 MiB, early vs late difference.

usage: .venv/bin/python -m bench.timing_leak [--pairs 20000]

tests/security/test_timing.py asserts that wrong dashboard passwords answer in the same
time, by comparing the medians of two kinds of attempts with the spread of all of them.
This script points that same method at a comparison that does leak (`bytes ==`, which
stops at the first difference) so the test's figures have something to be read beside.
It only prints figures: a measurement, not a test, so nothing here can fail.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PASSWORD = "".join(random.Random(9).choice(ALPHABET) for _ in range(4096))  # the test's


def duel(first: Callable[[], Any], second: Callable[[], Any], pairs: int) -> dict[str, float]:
    """Time `pairs` calls of each, alternating, in random order within each pair (in µs).

    The method of tests/security/test_timing.py::duel, so the figures compare.
    """
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
    early, late = statistics.median(times[0]), statistics.median(times[1])
    return {
        "early_difference_median_us": early,
        "late_difference_median_us": late,
        "difference_us": late - early,
        "iqr_us": quartiles[2] - quartiles[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20_000)
    pairs = parser.parse_args().pairs
    # Repeated to 1 MiB: memcmp's early exit becomes measurable only on inputs this long.
    secret = PASSWORD.encode() * 256
    early, late = b"#" + secret[1:], secret[:-1] + b"#"
    result = duel(lambda: secret == early, lambda: secret == late, pairs)
    for name, value in result.items():
        print(f"{name:28} {value:10.2f}")
    print(f"{'difference_in_iqr':28} {result['difference_us'] / max(result['iqr_us'], 1e-9):10.3f}")
    print(f"{'pairs':28} {pairs:10}")


if __name__ == "__main__":
    main()
