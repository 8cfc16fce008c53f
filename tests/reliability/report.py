"""Print each reliability test's figures and append them to test-output/reliability.jsonl.

One line per test: its name, the profile (short or long), and the figures, so the
README's table can be rebuilt from the file of the last long run. The reporter is shared
with tests/security and lives in tests/figures.py; these names stay importable from here.
"""

from __future__ import annotations

from tests.figures import OUTPUT, Figure, Reporter, printed

__all__ = ["OUTPUT", "Figure", "Reporter", "printed"]
