"""arq: coroutine jobs; the job body uses arq's own (async) Redis connection."""

from typing import Any

from arq.connections import RedisSettings
from common import URL, amark_done, amark_lat


async def job(ctx: dict[str, Any], i: int) -> None:
    await amark_done(ctx["redis"])


async def lat(ctx: dict[str, Any], ts_us: int) -> None:
    await amark_lat(ctx["redis"], ts_us)


class WorkerSettings:
    """arq's defaults: max_jobs=10, poll_delay=0.5 s, keep_result=3600 s."""

    functions = [job, lat]
    redis_settings = RedisSettings.from_dsn(URL)


class WorkerSettingsPoll10ms:
    """Not a default: queue polled every 10 ms (arq reads only the class's own __dict__)."""

    functions = [job, lat]
    redis_settings = RedisSettings.from_dsn(URL)
    poll_delay = 0.01
