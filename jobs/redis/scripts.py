"""Load the Lua scripts in `lua/` (one file per operation) as callable redis-py Scripts."""

from __future__ import annotations

from functools import cache
from importlib import resources

import redis
from redis.commands.core import Script


@cache
def _source(name: str) -> str:
    return resources.files("jobs.redis").joinpath("lua", name + ".lua").read_text("utf-8")


def script(client: redis.Redis, name: str) -> Script:
    """Return the script `lua/<name>.lua` registered on `client` (EVALSHA, loaded on demand)."""
    return client.register_script(_source(name))
