"""A module no worker may import because a payload names it (tests/tasks/test_worker.py).

Importing it leaves a mark in Redis, so a test can tell it never happened.
"""

from tests.testapp.jobs import ledger

ledger().rpush("ledger:imported", __name__)


def boom() -> None:
    ledger().rpush("ledger:ran", "boom")
