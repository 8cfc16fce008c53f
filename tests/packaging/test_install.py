"""README's "Add it to your project", done literally, as a newcomer would.

1. Build an sdist from a copy of the package (`python -m build --sdist`), then a wheel
   from that sdist (so the sdist is known to be complete), in a fresh virtual
   environment that has nothing of this one.
2. Check both carry the Lua scripts, templates, static files, migrations and locale files.
3. `pip install` the wheel into that environment, its dependencies from the package
   index (pip's cache keeps repeat runs quick): the README's install line.
4. `django-admin startproject`, `startapp shop` with a job in shop/jobs.py; settings.py
   and urls.py edited with the README's own snippets (only the Redis URL swapped for the
   test's); `migrate`; enqueue the job; a real `runworker` performs it.
5. `runserver` (DEBUG on, as startproject leaves it), log in as a superuser and load
   the dashboard, its JSON and its stylesheet.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
import redis

from tests.helpers import ROOT, free_port, wait_for

pytestmark = pytest.mark.slow

SHOP_JOB = """
from pathlib import Path

from jobs import Job


class HelloJob(Job):
    def perform(self, path: str, name: str) -> None:
        Path(path).write_text(f"hello {name}")
"""
# What an installed wheel (and the sdist) must carry besides Python code.
PACKAGE_DATA = (
    "jobs/redis/lua/fetch.lua",
    "jobs/templates/jobs/index.html",
    "jobs/static/jobs/dashboard.css",
    "jobs/migrations/0001_initial.py",
    "jobs/management/commands/runworker.py",
)


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Add it to your project\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def the_block(section: str, first_line: str) -> str:
    [block] = [b for b in code_blocks(section, "python") if b.startswith(first_line)]
    return block


def clean_environment() -> dict[str, str]:
    """This test run's environment without its Django, Python and venv settings."""
    dropped = ("DJANGO_", "JOBS_", "PYTHON", "VIRTUAL_ENV", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Newcomer:
    """Runs commands in the fresh environment, from the new project's directory."""

    def __init__(self, venv: Path, site: Path) -> None:
        self.venv = venv
        self.site = site
        self.env = clean_environment()
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"

    def run(self, *command: str | Path, cwd: Path | None = None, timeout: float = 180) -> str:
        result = subprocess.run(
            [str(part) for part in command],
            cwd=cwd or self.site,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout + result.stderr

    def start(self, *command: str, log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            return subprocess.Popen(
                list(command), cwd=self.site, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def python(self) -> str:
        return str(self.venv / "bin" / "python")


def copy_source(target: Path) -> Path:
    """What a checkout holds for packaging (building in place would leave egg-info here)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "jobs", target / "jobs", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, target / name)
    return target


def locale_files() -> list[str]:
    found = sorted((ROOT / "jobs" / "locale").glob("**/*.[mp]o"))
    return [str(path.relative_to(ROOT)) for path in found]


def build(newcomer: Newcomer, tmp_path: Path) -> Path:
    """sdist, then a wheel built from the sdist; return the wheel."""
    source = copy_source(tmp_path / "source")
    dist = tmp_path / "dist"
    newcomer.run(newcomer.python(), "-m", "pip", "install", "-q", "build", cwd=tmp_path)
    newcomer.run(newcomer.python(), "-m", "build", "--sdist", "--outdir", dist, source)
    [sdist] = dist.glob("*.tar.gz")
    newcomer.run(newcomer.python(), "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, sdist)
    [wheel] = dist.glob("*.whl")
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    for name in [*PACKAGE_DATA, *locale_files()]:
        assert name in in_sdist, f"{name} missing from the sdist"
        assert name in in_wheel, f"{name} missing from the wheel"
    assert not [name for name in in_wheel if name.startswith(("tests/", "project/"))]
    return wheel


def edit_project(newcomer: Newcomer, redis_url: str) -> None:
    """settings.py and urls.py, with the README's snippets; a `shop` app with a job."""
    newcomer.run(newcomer.python(), "manage.py", "startapp", "shop")
    (newcomer.site / "shop" / "jobs.py").write_text(SHOP_JOB)
    section = readme_section()
    settings_snippet = the_block(section, "# settings.py")
    assert '"redis://127.0.0.1:6379/0"' in settings_snippet
    settings_path = newcomer.site / "mysite" / "settings.py"
    with settings_path.open("a") as settings:
        settings.write("\n" + settings_snippet.replace("redis://127.0.0.1:6379/0", redis_url))
        settings.write('INSTALLED_APPS += ["shop"]  # the project\'s own app\n')
    (newcomer.site / "mysite" / "urls.py").write_text(the_block(section, "# urls.py"))


def run_a_job(newcomer: Newcomer, tmp_path: Path, redis_client: redis.Redis) -> None:
    out = tmp_path / "hello.txt"
    code = f"from shop.jobs import HelloJob; print(HelloJob.perform_async({str(out)!r}, 'jobs'))"
    jid = newcomer.run(newcomer.python(), "manage.py", "shell", "-c", code).split()[-1]
    assert re.fullmatch(r"[0-9a-f]{24}", jid), jid
    assert redis_client.llen("queue:default") == 1

    log = tmp_path / "worker.log"
    worker = newcomer.start(newcomer.python(), "manage.py", "runworker", log=log)
    try:
        wait_for(out.exists, 90, f"the worker to run the job (log {log})", interval=0.1)
        assert out.read_text() == "hello jobs"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert f"shop.jobs.HelloJob jid={jid} done" in log.read_text()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # it answered
    except OSError:
        return False


def load_the_dashboard(newcomer: Newcomer, tmp_path: Path) -> None:
    newcomer.env["DJANGO_SUPERUSER_PASSWORD"] = "a-long-password-9"
    newcomer.run(
        newcomer.python(), "manage.py", "createsuperuser", "--noinput",
        "--username", "boss", "--email", "boss@example.com",
    )  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    command = [newcomer.python(), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    web = newcomer.start(*command, log=log)
    try:
        wait_for(lambda: answers(base + "/admin/login/"), 60, f"runserver ({log})", interval=0.2)
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        login = browser.open(f"{base}/admin/login/?next=/admin/jobs/", timeout=30).read().decode()
        [token] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)
        form = {"username": "boss", "password": "a-long-password-9", "next": "/admin/jobs/"}
        form["csrfmiddlewaretoken"] = token
        data = urllib.parse.urlencode(form).encode()
        with browser.open(f"{base}/admin/login/?next=/admin/jobs/", data, timeout=30) as page:
            assert page.status == 200
            assert page.url == f"{base}/admin/jobs/"
            body = page.read().decode()
        assert "Processed" in body
        assert "/static/jobs/dashboard.css" in body
        with browser.open(f"{base}/admin/jobs/stats.json", timeout=30) as stats:
            assert json.loads(stats.read())["stats"]["processed"] == 1
        with browser.open(f"{base}/static/jobs/dashboard.css", timeout=30) as css:
            assert css.status == 200
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(30)


def test_add_it_to_a_new_project_as_the_readme_says(
    tmp_path: Path, redis_client: redis.Redis, redis_url: str
) -> None:
    began = time.monotonic()
    venv = tmp_path / "venv"
    # The interpreter behind this run's venv, without its packages: a newcomer's Python.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    newcomer = Newcomer(venv, tmp_path / "site")
    newcomer.site.mkdir()
    wheel = build(newcomer, tmp_path)

    [install] = code_blocks(readme_section(), "bash")[:1]
    install_line = install.splitlines()[0].split("#")[0].split()
    assert install_line == ["pip", "install", wheel.name], "README's install line names the wheel"
    newcomer.run(newcomer.python(), "-m", "pip", "install", "-q", wheel, cwd=tmp_path, timeout=240)
    newcomer.run(venv / "bin" / "django-admin", "startproject", "mysite", newcomer.site)

    edit_project(newcomer, redis_url)
    steps = code_blocks(readme_section(), "bash")[1].splitlines()
    steps = [line.split("#")[0].strip() for line in steps]
    assert steps == ["python manage.py migrate", "python manage.py runworker"]
    newcomer.run(newcomer.python(), "manage.py", "migrate", "--noinput")
    newcomer.run(newcomer.python(), "manage.py", "check", "--fail-level", "WARNING")
    run_a_job(newcomer, tmp_path, redis_client)
    load_the_dashboard(newcomer, tmp_path)
    print(f"\nbuild, install, start a project and run a job: {time.monotonic() - began:.1f} s")
