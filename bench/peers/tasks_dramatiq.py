"""dramatiq: actors on a RedisBroker with dramatiq's default middleware."""

import dramatiq
from common import URL, mark_done, mark_lat
from dramatiq.brokers.redis import RedisBroker

broker = RedisBroker(url=URL)
dramatiq.set_broker(broker)


@dramatiq.actor
def job(i: int) -> None:
    mark_done()


@dramatiq.actor
def lat(ts_us: int) -> None:
    mark_lat(ts_us)
