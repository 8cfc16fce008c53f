"""Strict argument checks: anything JSON would not carry unchanged raises TypeError at enqueue."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import pytest
import redis

from jobs.arguments import check_args
from tests.testapp.jobs import RecordJob

REJECTED: list[tuple[Any, str]] = [
    (datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), "datetime.datetime"),
    (datetime.date(2026, 1, 1), "datetime.date"),
    (decimal.Decimal("1.5"), "decimal.Decimal"),
    (uuid.UUID(int=1), "uuid.UUID"),
    ({1, 2}, "set"),
    ((1, 2), "tuple"),
    (b"bytes", "bytes"),
    (float("nan"), "nan"),
    (float("inf"), "inf"),
    (2**53 + 1, "beyond 2**53"),
    (-(2**53) - 1, "beyond 2**53"),
    ({"nested": [datetime.time(1)]}, "datetime.time"),
    ({1: "int key"}, "keys must be str"),
    (object(), "object"),
]


@pytest.mark.parametrize(("value", "named"), REJECTED, ids=[r[1] for r in REJECTED])
def test_non_json_argument_raises_and_nothing_reaches_redis(
    redis_client: redis.Redis, value: Any, named: str
) -> None:
    with pytest.raises(TypeError) as caught:
        RecordJob.perform_async(value)
    message = str(caught.value)
    assert named in message
    assert "'value'" in message  # the parameter's name
    assert redis_client.dbsize() == 0


def test_rejection_inside_bulk_pushes_nothing(redis_client: redis.Redis) -> None:
    with pytest.raises(TypeError, match=r"decimal\.Decimal"):
        RecordJob.perform_bulk([[1], [decimal.Decimal(2)]])
    assert redis_client.dbsize() == 0


@pytest.mark.parametrize(
    "value",
    ["text", 1, -(2**53), 2**53, 1.5, True, None, [1, "a", None], {"k": {"n": [1.25, False]}}],
)
def test_json_native_values_pass(value: Any) -> None:
    check_args([value], "test")


def test_wrong_arity_is_refused_at_enqueue(redis_client: redis.Redis) -> None:
    with pytest.raises(TypeError, match=r"RecordJob\.perform"):
        RecordJob.perform_async(1, 2)
    assert redis_client.dbsize() == 0
