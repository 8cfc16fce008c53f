"""The suites that measure (tests/reliability, tests/security): profile and figures reporter.

A pytest plugin (loaded by `-p tests.figures` in pyproject's addopts), so `--long` is
known whatever paths are named on the command line:

- `--long` (or JOBS_RELIABILITY=long) picks the deeper profile; the `profile` fixture
  says which one runs, and `profile.pick(short, long)` chooses a figure for it.
- `Reporter` prints one line of figures per test and appends it as JSON to the suite's
  file (test-output/reliability.jsonl, test-output/security.jsonl); every line printed
  is repeated at the end of the run under "<suite> figures".
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output" / "reliability.jsonl"
Figure = int | float | str | bool
T = TypeVar("T")

# Every line printed this session, for the terminal summary.
printed: list[str] = []
# The same lines by suite (the stem of the file they were appended to).
sections: dict[str, list[str]] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="reliability and security suites: the long profile (deeper, slower)",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for suite, lines in sections.items():
        terminalreporter.section(f"{suite} figures")
        for line in lines:
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
    """The profile of this run: `--long` or JOBS_RELIABILITY=long, else short."""
    wanted = bool(request.config.getoption("--long", default=False))
    return Profile(wanted or os.environ.get("JOBS_RELIABILITY") == "long")


def _commit() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return ""
    return result.stdout.strip()


def _show(value: Figure) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass
class Reporter:
    """`figures(name, lost=0, duplicates=3, ...)`: print one line and store it as JSON."""

    profile: str
    output: Path = OUTPUT
    lines: list[str] = field(default_factory=list)

    def __call__(self, name: str, **figures: Figure) -> None:
        line = f"{name} [{self.profile}]: " + ", ".join(
            f"{key}={_show(value)}" for key, value in figures.items()
        )
        print(line)
        printed.append(line)
        sections.setdefault(self.output.stem, []).append(line)
        self.lines.append(line)
        record = {
            "test": name,
            "profile": self.profile,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": _commit(),
            "figures": figures,
        }
        self.output.parent.mkdir(parents=True, exist_ok=True)
        with self.output.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
