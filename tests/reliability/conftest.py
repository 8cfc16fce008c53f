"""Reliability suites: the ledger and the figures reporter.

`pytest tests/reliability` runs the short profile (CI); `pytest tests/reliability --long`
(or JOBS_RELIABILITY=long) runs the deeper one whose figures the README publishes. The
option, the `profile` fixture and the reporter come from the shared plugin
tests/figures.py (tests/security uses them too); `Profile` stays importable from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.figures import Profile, Reporter
from tests.reliability.ledger import Ledger

__all__ = ["Profile"]


@pytest.fixture
def figures(profile: Profile) -> Reporter:
    return Reporter(profile.name)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    book = Ledger(tmp_path / "ledger.sqlite3")
    yield book
    book.close()
