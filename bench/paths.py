"""Where things are: the repository, bench/, and the git-ignored work directory."""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"  # venvs, logs, raw results: never committed
PEERS = BENCH / "peers"
SIDEKIQ = BENCH / "sidekiq"
