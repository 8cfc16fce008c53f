"""What the run ran on: the machine, and every component's version; Sidekiq's setup."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from bench.paths import WORK
from bench.server import apt_install


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "?"
    try:
        with open("/proc/meminfo") as info:
            kb = int(info.readline().split()[1])
            memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def code_state(root: Path) -> str:
    """The commit measured, and how many files under jobs/ differ from it."""
    commit = _output(["git", "-C", str(root), "rev-parse", "--short", "HEAD"]) or "?"
    changed = _output(["git", "-C", str(root), "status", "--porcelain", "--", "jobs"])
    count = len(changed.splitlines()) if changed else 0
    return f"commit {commit}" + (f" + {count} uncommitted file(s) under jobs/" if count else "")


def sidekiq_ready() -> tuple[bool, str]:
    """Make Debian's ruby-sidekiq available (installed when we are root); say how it went."""

    def works() -> bool:
        return bool(shutil.which("sidekiq")) and bool(
            _output(["ruby", "-rsidekiq", "-e", "print Sidekiq::VERSION"])
        )

    if works():
        return True, ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return (
            False,
            "Sidekiq skipped: no `sidekiq` here and not root to apt-get install ruby-sidekiq",
        )
    print("bench: installing Debian's ruby-sidekiq", file=sys.stderr)
    log = WORK / "logs" / "apt.log"
    if apt_install(["ruby-sidekiq"], log) and works():
        return True, "installed Debian's ruby-sidekiq"
    return False, f"Sidekiq skipped: apt-get install ruby-sidekiq failed (see {log})"


def sidekiq_versions() -> dict[str, str]:
    return {
        "ruby": _output(["ruby", "-e", "print RUBY_VERSION"]),
        "sidekiq": _output(["ruby", "-rsidekiq", "-e", "print Sidekiq::VERSION"]),
        "redis-rb": _output(["ruby", "-rredis", "-e", "print Redis::VERSION"]),
    }


def ours_versions(python: Path) -> dict[str, str]:
    code = (
        "import json, sys\n"
        "from importlib.metadata import version\n"
        "import jobs\n"
        "out = {'python': sys.version.split()[0], 'jobs': jobs.__version__}\n"
        "for name in ('Django', 'redis', 'hiredis'):\n"
        "    try:\n"
        "        out[name] = version(name)\n"
        "    except Exception:\n"
        "        pass\n"
        "print(json.dumps(out))\n"
    )
    text = _output([str(python), "-c", code])
    return dict(json.loads(text)) if text else {}
