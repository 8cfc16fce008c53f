"""celery: tasks on the Redis broker, no result backend (celery's default)."""

from celery import Celery
from common import URL, mark_done, mark_lat

app = Celery("tasks_celery", broker=URL)
app.conf.broker_connection_retry_on_startup = True


@app.task
def job(i: int) -> None:
    mark_done()


@app.task
def lat(ts_us: int) -> None:
    mark_lat(ts_us)
