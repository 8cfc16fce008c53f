"""The batched per-job line looks exactly like runworker's other log lines."""

from __future__ import annotations

import io
import logging
import re

from jobs.management.commands.runworker import WorkerFormatter
from jobs.worker.joblog import JobLog

LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z pid=\d+ tid=(?P<tid>\S+) INFO: (?P<message>.*)\n"
)


def test_job_line_matches_the_formatter_layout() -> None:
    stream = io.StringIO()
    log = JobLog(stream)
    log.done("myapp.jobs.MoodSenderJob", "0123456789abcdef01234567", 12.345)
    log.flush()
    fast = LINE.fullmatch(stream.getvalue())
    assert fast is not None, stream.getvalue()
    assert fast["message"] == "myapp.jobs.MoodSenderJob jid=0123456789abcdef01234567 done: 12.3 ms"

    record = logging.LogRecord("jobs.worker", logging.INFO, __file__, 1, "hello", None, None)
    slow = LINE.fullmatch(WorkerFormatter().format(record) + "\n")
    assert slow is not None
    assert slow["tid"] == fast["tid"]  # both name the thread the same way


def test_lines_keep_their_order() -> None:
    stream = io.StringIO()
    log = JobLog(stream)
    for n in range(100):
        log.done("J", f"{n:024x}", 1.0)
    log.flush()
    jids = re.findall(r"jid=([0-9a-f]{24})", stream.getvalue())
    assert jids == [f"{n:024x}" for n in range(100)]
