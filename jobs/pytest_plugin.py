"""pytest fixtures for projects using jobs: `jobs_fake` and `jobs_inline`.

Registered through the `pytest11` entry point (or `-p jobs.pytest_plugin`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobs import testing


@pytest.fixture
def jobs_fake() -> Iterator[None]:
    """Keep jobs in memory for the test; inspect `MyJob.jobs`, run them with `MyJob.drain()`."""
    with testing.fake():
        yield


@pytest.fixture
def jobs_inline() -> Iterator[None]:
    """Run jobs at once, in process, for the test."""
    with testing.inline():
        yield
