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

from tests.duel import duel

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PASSWORD = "".join(random.Random(9).choice(ALPHABET) for _ in range(4096))  # the test's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20_000)
    pairs = parser.parse_args().pairs
    # Repeated to 1 MiB: memcmp's early exit becomes measurable only on inputs this long.
    secret = PASSWORD.encode() * 256
    early, late = b"#" + secret[1:], secret[:-1] + b"#"
    early_us, late_us, iqr_us = duel(lambda: secret == early, lambda: secret == late, pairs)
    result = {
        "early_difference_median_us": early_us,
        "late_difference_median_us": late_us,
        "difference_us": late_us - early_us,
        "iqr_us": iqr_us,
    }
    for name, value in result.items():
        print(f"{name:28} {value:10.2f}")
    print(f"{'difference_in_iqr':28} {result['difference_us'] / max(result['iqr_us'], 1e-9):10.3f}")
    print(f"{'pairs':28} {pairs:10}")


if __name__ == "__main__":
    main()
