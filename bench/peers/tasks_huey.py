"""huey: RedisHuey with its defaults (results=True; a None return is not stored)."""

from common import URL, mark_done, mark_lat
from huey import RedisHuey

huey = RedisHuey("bench", url=URL)


@huey.task()
def job(i: int) -> None:
    mark_done()


@huey.task()
def lat(ts_us: int) -> None:
    mark_lat(ts_us)
