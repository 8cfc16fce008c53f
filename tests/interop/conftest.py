"""Fixtures of the interop tests: Ruby Sidekiq's client, worker and Web UI on the test database.

Ruby Sidekiq is a peer, not this project's code, so it logs in as the admin
(`redis_admin_url`): the least-privilege user allows only the commands we use.
Tests that need Ruby take the `ruby_sidekiq` fixture (through the others), which skips
them with the reason when `ruby` or the sidekiq gem is missing; `bin/test` installs
both (Debian's ruby-sidekiq) when it runs as root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.interop.sidekiq_ruby import RubyClient, RubyWorker, WebUI, missing, missing_web

RubyWorkerFactory = Callable[..., RubyWorker]


@pytest.fixture(scope="session")
def ruby_sidekiq() -> None:
    """Skip the test unless Ruby and its sidekiq gem are installed."""
    reason = missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def ruby(ruby_sidekiq: None, redis_admin_url: str, redis_client: redis.Redis) -> RubyClient:
    """Sidekiq's Ruby client and API on the flushed test database."""
    return RubyClient(redis_admin_url)


@pytest.fixture
def start_ruby_worker(
    ruby_sidekiq: None, redis_admin_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[RubyWorkerFactory]:
    """Start real Ruby `sidekiq` servers on the given queues; killed at the end if still up."""
    started: list[RubyWorker] = []

    def start(*queues: str) -> RubyWorker:
        worker = RubyWorker(redis_admin_url, tmp_path / f"sidekiq-{len(started)}.log", list(queues))
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


@pytest.fixture
def web_ui(ruby_sidekiq: None, redis_admin_url: str, tmp_path: Path) -> Iterator[WebUI]:
    """Sidekiq's own Web UI, up and answering, on a loopback port."""
    reason = missing_web()
    if reason:
        pytest.skip(reason)
    web = WebUI(redis_admin_url, tmp_path / "web-ui.log")
    try:
        web.wait_ready()
        yield web
    finally:
        web.close()
