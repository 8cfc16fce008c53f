"""Virtual environments for the peers under bench/.work/, never the project's .venv.

The project's .venv pins redis-py below 8; the peers get their own venvs, built with
the same base interpreter as the project's, reused while their requirements are the
same. arq needs a venv of its own: it pins redis-py below 6, kombu (celery) above 6.4.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from bench.paths import WORK

# redis-py below 8, as in the project: every job body then costs the same in the client.
PEERS = ["rq", "dramatiq[redis]", "celery[redis]", "huey", "redis<8", "hiredis"]
ARQ = ["arq", "hiredis"]


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def base_python() -> str:
    """The interpreter the project's venv was made from (same Python for every system)."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def ensure_venv(name: str, requirements: list[str]) -> Path:
    """bench/.work/venv-NAME with `requirements` installed; built once, then reused."""
    venv = WORK / f"venv-{name}"
    stamp = venv / ".bench-requirements"
    digest = hashlib.sha256(json.dumps(requirements).encode()).hexdigest()
    if venv_python(venv).exists() and stamp.exists() and stamp.read_text() == digest:
        return venv
    print(f"bench: installing {' '.join(requirements)} into {venv}", file=sys.stderr)
    subprocess.run([base_python(), "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [
            str(venv_python(venv)),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *requirements,
        ],
        check=True,
    )
    stamp.write_text(digest)
    return venv


def installed_versions(venv: Path, packages: list[str]) -> dict[str, str]:
    """{package: version} for the packages installed in `venv`."""
    code = (
        "import json, sys\n"
        "from importlib.metadata import PackageNotFoundError, version\n"
        "out = {'python': sys.version.split()[0]}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        out[name] = version(name)\n"
        "    except PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [str(venv_python(venv)), "-c", code, *packages],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return {}
    result: dict[str, str] = json.loads(done.stdout)
    return result
