"""Print each reliability test's figures and append them to test-output/reliability.jsonl.

One line per test: its name, the profile (short or long), and the figures, so the
README's table can be rebuilt from the file of the last long run.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import ROOT

OUTPUT = ROOT / "test-output" / "reliability.jsonl"
Figure = int | float | str | bool

# Every line printed this session, for the terminal summary (conftest.py).
printed: list[str] = []


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
