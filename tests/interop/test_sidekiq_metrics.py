"""Sidekiq's own Sidekiq::Metrics::Query (Ruby) reads the metrics a Python worker wrote.

Debian's Ruby Sidekiq is 6.4, which has no metrics: the Query's two source files come
from a newer Sidekiq, named by SIDEKIQ_SOURCE (a git directory of sidekiq/sidekiq, read
at each of SIDEKIQ_REFS, comma-separated, default HEAD; or a directory holding
sidekiq/metrics/query.rb). Without it the test is skipped: run it with, e.g.,
SIDEKIQ_SOURCE=/path/to/sidekiq/.git SIDEKIQ_REFS=v7.3.10,v8.1.7 \
    pytest tests/interop/test_sidekiq_metrics.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from jobs.metrics import Tracker, flush_commands
from tests import acl
from tests.interop.sidekiq_ruby import RUBY_DIR, missing

FILES = ("lib/sidekiq/metrics/shared.rb", "lib/sidekiq/metrics/query.rb")


def sidekiq_metrics_libs(target: Path) -> list[Path]:
    """Directories with sidekiq/metrics/{shared,query}.rb from SIDEKIQ_SOURCE, one a ref."""
    source = os.environ.get("SIDEKIQ_SOURCE", "")
    if not source:
        return []
    if (Path(source) / "sidekiq" / "metrics" / "query.rb").exists():
        return [Path(source)]
    refs = os.environ.get("SIDEKIQ_REFS", "HEAD").split(",")
    return [extract(source, ref.strip(), target / f"lib-{n}") for n, ref in enumerate(refs)]


def extract(source: str, ref: str, target: Path) -> Path:
    """The two files of Sidekiq's git `source` at `ref`, under `target`."""
    (target / "sidekiq" / "metrics").mkdir(parents=True)
    for name in FILES:
        text = subprocess.run(
            ["git", "--git-dir", source, "show", f"{ref}:{name}"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip
        (target / name.removeprefix("lib/")).write_text(text)
    return target


def test_sidekiqs_query_reads_what_our_worker_flushed(
    app_redis: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    if missing() is not None:
        pytest.skip(missing())
    libs = sidekiq_metrics_libs(tmp_path)
    if not libs:
        pytest.skip("SIDEKIQ_SOURCE names no Sidekiq 7+ source (see the module docstring)")
    now = time.time()
    tracker = Tracker()
    for seconds, times in ((0.010, 7), (0.280, 3), (4.0, 1)):
        for _ in range(times):
            tracker.record("myapp.jobs.ReportJob", seconds, failed=False)
    tracker.record("myapp.jobs.ReportJob", 1.0, failed=True)
    tracker.record("myapp.mailers.MoodMailer.mood", 0.05, failed=False)
    pipe = app_redis.pipeline(transaction=True)  # what a heartbeat adds to its MULTI
    flush_commands(pipe, tracker.take(), now)
    pipe.execute()

    for lib in libs:
        check_query(lib, acl.admin_url(redis_url), now)


def check_query(lib: Path, url: str, now: float) -> None:
    """Run Sidekiq's Query from `lib` and compare what it read with what was flushed."""
    env = {**os.environ, "REDIS_URL": url, "SIDEKIQ_METRICS_LIB": str(lib)}
    out = subprocess.run(
        [shutil.which("ruby") or "ruby", str(RUBY_DIR / "metrics_query.rb"), "myapp.jobs.ReportJob", repr(now)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    report = {"p": 12, "f": 1, "ms": 7 * 10 + 3 * 280 + 4000}
    mail = {"p": 1, "ms": 50}  # no failure: no `f` field, as Sidekiq writes it
    for window in ("hour", "day"):
        if seen[window] is None:  # Sidekiq 7 has no 10-minute rollups
            continue
        assert seen[window]["myapp.jobs.ReportJob"] == report
        assert seen[window]["myapp.mailers.MoodMailer.mood"] == mail
    expected = [0] * 26
    expected[0], expected[7], expected[14] = 7, 3, 1  # < 20 ms, < 335 ms, < 5.75 s
    assert seen["buckets"] == expected
