"""Virtual environments for the peers under bench/.work/, never the project's .venv.

The project's .venv pins redis-py below 8; the peers get their own venvs, built with
the same base interpreter as the project's, reused while their requirements are the
same. arq needs a venv of its own: it pins redis-py below 6, kombu (celery) above 6.4.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.paths import WORK

# redis-py below 8, as in the project: every job body then costs the same in the client.
PEERS = ["rq", "dramatiq[redis]", "celery[redis]", "huey", "redis<8", "hiredis"]
ARQ = ["arq", "hiredis"]
# The django.tasks peers, on the Django the project's .venv has (the same markers as
# requirements.txt: 5.2 + the backport on Python 3.11, 6.1 on 3.12+).
TASKS = [
    'Django>=5.2,<6.0; python_version < "3.12"',
    'django-tasks>=0.12,<0.13; python_version < "3.12"',
    'Django>=6.1,<6.2; python_version >= "3.12"',
    "django-tasks-db",
    "django-tasks-rq",
    "huey",
    "psycopg[binary]",
    "redis<8",
    "hiredis",
]
# threadmill 0.4+ needs Python 3.14: its own venv, with an interpreter of its own. Without
# one, its last release for Python 3.12+ (0.3.1, on Django 6.1). redis-py below 8 as above.
THREADMILL = ["threadmill[redis]", "redis<8", "hiredis"]
THREADMILL_PY312 = ["threadmill[redis]<0.4", "redis<8", "hiredis"]


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def base_python() -> str:
    """The interpreter the project's venv was made from (same Python for every system)."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def ensure_venv(name: str, requirements: list[str], python: str | None = None) -> Path:
    """bench/.work/venv-NAME with `requirements` installed; built once, then reused.

    `python`: the base interpreter (default: the project's venv's, base_python()).
    """
    venv = WORK / f"venv-{name}"
    stamp = venv / ".bench-requirements"
    # The interpreter counts only when named, so the existing venvs' stamps stay valid.
    pinned: list[object] = [requirements, python] if python else [*requirements]
    digest = hashlib.sha256(json.dumps(pinned).encode()).hexdigest()
    if venv_python(venv).exists() and stamp.exists() and stamp.read_text() == digest:
        return venv
    print(f"bench: installing {' '.join(requirements)} into {venv}", file=sys.stderr)
    subprocess.run([python or base_python(), "-m", "venv", "--clear", str(venv)], check=True)
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


def find_python(minimum: tuple[int, int]) -> str | None:
    """An interpreter at least `minimum` (python3.X on PATH, then pyenv's builds), or None."""
    names = [f"python3.{minor}" for minor in range(minimum[1], minimum[1] + 3)]
    found = [shutil.which(name) for name in names]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found += sorted(glob.glob(f"{root}/versions/3.*/bin/python"))
    check = f"import sys; sys.exit(sys.version_info < {minimum!r})"
    for candidate in filter(None, found):
        # pyenv's shims exist for every installed version but fail unless it is selected.
        done = subprocess.run([candidate, "-c", check], capture_output=True, check=False)
        if done.returncode == 0:
            return candidate
    return None


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
