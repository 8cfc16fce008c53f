"""Scale suites (Sentinel failover, hosts that drop off): their figures and ledger.

Figures go to test-output/scale.jsonl (tests/figures.py's reporter); docs/scale.md
publishes them. The ledger of job runs is tests/reliability's SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.figures import OUTPUT, Profile, Reporter
from tests.reliability.ledger import Ledger


@pytest.fixture
def figures(profile: Profile) -> Reporter:
    return Reporter(profile.name, output=OUTPUT.with_name("scale.jsonl"))


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    book = Ledger(tmp_path / "ledger.sqlite3")
    yield book
    book.close()
