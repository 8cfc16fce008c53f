from __future__ import annotations

import redis

from tests.conftest import WorkerFactory
from tests.helpers import wait_for
from tests.testapp.tasks import add


def test_smoke(redis_client: redis.Redis, start_worker: WorkerFactory) -> None:
    worker = start_worker("-c", "2")
    worker.wait_ready()
    result = add.enqueue(1, 2, label="x")
    wait_for(lambda: add.get_result(result.id).is_finished, 15)
    print(add.get_result(result.id))
    print(worker.log())
    assert add.get_result(result.id).return_value == {"sum": 3, "label": "x"}
