"""The one INFO line per finished job, written in batches by a thread of its own.

Python's logging costs about 20 us a record, and its handler lock makes ten busy
threads queue behind each other: at thousands of jobs a second that was a fifth
of the worker's time. When `runworker` owns the output, each line is formatted
with an f-string in the same layout as its log formatter, appended to a deque
(thread-safe, no lock) and written by one thread every few milliseconds. Other
records (warnings, errors) still go through logging; they may land a few
milliseconds apart from the job lines around them.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from typing import TextIO

FLUSH_EVERY = 0.02  # seconds


class JobLog:
    """Collects job lines from every thread and writes them to `stream`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lines: deque[str] = deque()
        self._pid = os.getpid()
        self._second = -1
        self._prefix = ""
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="joblog", daemon=True)
        self._thread.start()

    def done(self, job_class: str, jid: str, ms: float) -> None:
        """Log that a job finished, in runworker's line format."""
        now = time.time()
        second = int(now)
        if second != self._second:  # a benign race: two threads may both refresh it
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        thread = threading.current_thread().name
        millis = int((now - second) * 1000)
        self._lines.append(
            f"{self._prefix}.{millis:03d}Z pid={self._pid} tid={thread} INFO: "
            f"{job_class} jid={jid} done: {ms:.1f} ms\n"
        )

    def flush(self) -> None:
        """Write every line collected so far."""
        lines = self._lines
        chunk: list[str] = []
        while lines:
            chunk.append(lines.popleft())
        if chunk:
            self.stream.write("".join(chunk))
            self.stream.flush()

    def _run(self) -> None:
        while True:
            self._wake.wait(FLUSH_EVERY)
            try:
                self.flush()
            except (OSError, ValueError):  # stdout closed under us: nothing left to say
                return


_installed: JobLog | None = None


def install(stream: TextIO) -> JobLog:
    """Route job lines to `stream` (runworker does this when it sets up logging)."""
    global _installed  # noqa: PLW0603  (one output per worker process)
    _installed = JobLog(stream)
    return _installed


def installed() -> JobLog | None:
    """The batch writer, if runworker set one up."""
    return _installed
