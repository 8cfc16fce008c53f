"""The physical ceiling of this machine's loopback Redis, measured in the same run.

1. redis-py from one client (run as its own process, in the project's venv, as our
   enqueuer is): PING round trips/s; LPUSH+RPOP pairs/s unpipelined; and pipelined
   100 pairs per round trip. Each test stops after SECONDS or MAX_OPS.
2. redis-benchmark LPUSH/RPOP: 1 client unpipelined, 50 clients unpipelined (the
   server's rate for many one-command clients), 50 clients pipelined 16 deep.

usage: python -m bench.ceiling URL [SECONDS]   (prints one JSON line)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any

import redis

MAX_OPS = 200_000
BATCH = 100
KEY = "ceiling:q"


def redis_py(url: str, seconds: float) -> dict[str, Any]:
    client = redis.Redis.from_url(url)
    out: dict[str, Any] = {"redis_py": redis.__version__}
    connection = client.connection_pool.get_connection()
    out["parser"] = type(connection._parser).__name__
    client.connection_pool.release(connection)
    client.delete(KEY)

    def rate(step: Any, per_step: int = 1) -> float:
        n, started = 0, time.perf_counter()
        while n < MAX_OPS and time.perf_counter() - started < seconds:
            step(n)
            n += per_step
        return n / (time.perf_counter() - started)

    out["ping_rt_per_s"] = rate(lambda _: client.ping())

    def push_pop(i: int) -> None:
        client.lpush(KEY, i)
        client.rpop(KEY)

    out["lpush_rpop_pairs_per_s"] = rate(push_pop)

    def pipelined(_: int) -> None:
        pipe = client.pipeline(transaction=False)
        for i in range(BATCH):
            pipe.lpush(KEY, i)
            pipe.rpop(KEY)
        pipe.execute()

    out["lpush_rpop_pairs_per_s_pipelined"] = rate(pipelined, BATCH)
    client.delete(KEY)
    return out


def redis_benchmark(tool: str, port: int, requests: int) -> dict[str, float]:
    """redis-benchmark LPUSH and RPOP requests/s in three client settings."""
    out: dict[str, float] = {}
    settings = {"c1": ("1", "1"), "c50": ("50", "1"), "c50_p16": ("50", "16")}
    for label, (clients, pipeline) in settings.items():
        argv = [tool, "-h", "127.0.0.1", "-p", str(port), "-q", "-t", "lpush,rpop"]
        argv += ["-n", str(requests), "-c", clients, "-P", pipeline]
        done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=300)
        text = done.stdout.replace("\r", "\n")
        for command in ("LPUSH", "RPOP"):
            found = re.findall(rf"^{command}: ([\d.]+) requests per second", text, re.M)
            if found:
                out[f"{command.lower()}_{label}"] = float(found[-1])
    return out


if __name__ == "__main__":
    print(json.dumps(redis_py(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 3.0)))
