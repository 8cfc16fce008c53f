"""Fixtures of the mail tests: templates, an SMTP server, and worker processes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
import redis

from tests.helpers import free_port
from tests.mail.process import MailWorker, StartWorker, mail_worker
from tests.mail.smtp import SMTPServer

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@pytest.fixture(autouse=True)
def mail_templates(settings: Any) -> None:
    """The test mailers' templates, for rendering in the test process too."""
    engine: dict[str, Any] = {**settings.TEMPLATES[0]}
    engine["DIRS"] = [*engine["DIRS"], TEMPLATES_DIR]
    settings.TEMPLATES = [engine]


@pytest.fixture
def legacy_email_settings(settings: Any) -> Iterator[None]:
    """The site configures mail with EMAIL_* (Django 5.2's way), not MAILERS.

    Django 6.1 still honours EMAIL_* when MAILERS is absent, with a deprecation warning
    (until Django 2028), so the tests of that path run there too, without MAILERS and with
    that one warning category let through.
    """
    if django.VERSION < (6, 1):
        yield
        return
    from django.utils.deprecation import RemovedInDjango2028Warning  # type: ignore[attr-defined]

    del settings.MAILERS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RemovedInDjango2028Warning)
        yield
        # Restoring the test's EMAIL_* overrides reads them (setting_changed) and warns:
        # undo them here, while the warning is let through, not after this fixture.
        settings._finalize()


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port: int) -> Iterator[SMTPServer]:
    """A running aiosmtpd server on a loopback port."""
    server = SMTPServer(smtp_port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(
    redis_url: str, redis_client: redis.Redis, smtp_port: int, tmp_path: Path
) -> Iterator[StartWorker]:
    """start(*queues, **env): a worker process sending to `smtp_port`, stopped after the test."""
    workers: list[MailWorker] = []

    def start(*queues: str, **env: str) -> MailWorker:
        settings_env = {"TEST_SMTP_PORT": str(smtp_port), "TEST_SMTP_TIMEOUT": "2", **env}
        log = tmp_path / f"worker-{len(workers)}.log"
        worker = mail_worker(redis_url, log, settings_env, queues or ("mailers",))
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        code = worker.stop()
        log = worker.log()
        worker.close()
        print(f"--- worker {worker.pid} log ---\n{log}")  # shown when the test fails
        assert code == 0, f"worker exited with {code}:\n{log}"


@pytest.fixture
def worker(start_worker: StartWorker) -> MailWorker:
    """One worker on the mailers queue, SMTP to the test server."""
    return start_worker()
