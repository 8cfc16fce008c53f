"""Reliability suites: the `--long` profile, the ledger and the figures reporter.

`pytest tests/reliability` runs the short profile (CI); `pytest tests/reliability --long`
(or JOBS_RELIABILITY=long) runs the deeper one whose figures the README publishes.
`--long` is known to pytest only when this directory (or a file in it) is named on the
command line, since pytest reads options from the conftest files it starts with.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from tests.reliability import report
from tests.reliability.ledger import Ledger
from tests.reliability.report import Reporter

T = TypeVar("T")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="reliability suites: the long profile (more jobs, longer chaos)",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if report.printed:
        terminalreporter.section("reliability figures")
        for line in report.printed:
            terminalreporter.write_line(line)


@dataclass(frozen=True)
class Profile:
    """How hard to push: `pick(short, long)` chooses a figure for this run."""

    long: bool

    @property
    def name(self) -> str:
        return "long" if self.long else "short"

    def pick(self, short: T, long: T) -> T:
        return long if self.long else short


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    wanted = bool(request.config.getoption("--long", default=False))
    return Profile(wanted or os.environ.get("JOBS_RELIABILITY") == "long")


@pytest.fixture
def figures(profile: Profile) -> Reporter:
    return Reporter(profile.name)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    book = Ledger(tmp_path / "ledger.sqlite3")
    yield book
    book.close()
