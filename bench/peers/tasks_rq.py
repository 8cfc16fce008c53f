"""rq: plain functions; the worker imports them by dotted path."""

from common import mark_done, mark_lat


def job(i: int) -> None:
    mark_done()


def lat(ts_us: int) -> None:
    mark_lat(ts_us)
