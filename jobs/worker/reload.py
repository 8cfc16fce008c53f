"""`runworker --reload`: restart the worker when a Python file changes, as runserver does.

Django's autoreloader does the watching (`django.utils.autoreload`: its reloader, its
`file_changed` signal, its child arguments and environment variable), in two processes:

1. The supervisor (the process you started) runs the worker as a child, in a process
   group of its own, relays every signal it gets to it (TERM/INT stop, a second one exits
   at once; TSTP quiets; TTIN dumps stacks), and starts a new child whenever the last
   one exits with code 3; any other exit code ends the supervisor with that code.
2. The child runs the worker in its main thread (it installs signal handlers, which only
   the main thread may) and Django's reloader in a thread. When a .py file changes, the
   child stops gracefully, as on TERM: running jobs finish (up to the shutdown timeout),
   unfinished ones go back to their queues, and it exits with 3.

`autoreload.run_with_reloader` itself does not fit a worker: it runs the program in a
thread other than the main one, and its supervisor exits on TERM without telling the
child, which would keep running jobs after its parent was stopped.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from django.utils import autoreload

logger = logging.getLogger("jobs.worker")

RESTART = 3  # the exit code Django's autoreloader restarts a child on
RELAYED = (signal.SIGTERM, signal.SIGINT, signal.SIGTSTP, signal.SIGTTIN)


def in_child() -> bool:
    """True inside the worker process that the supervisor started."""
    return os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) == "true"


def supervise() -> int:
    """Run the worker as a child until it exits for a reason other than a code change."""
    child: list[subprocess.Popen[bytes]] = []

    def relay(signum: int, frame: FrameType | None) -> None:
        if child and child[-1].poll() is None:
            child[-1].send_signal(signum)

    for signum in RELAYED:
        signal.signal(signum, relay)
    arguments = [str(part) for part in autoreload.get_child_arguments()]
    environment = {**os.environ, autoreload.DJANGO_AUTORELOAD_ENV: "true"}
    while True:
        # A group of its own: Ctrl-C at a terminal reaches only us, and we relay it once.
        child.append(subprocess.Popen(arguments, env=environment, process_group=0))
        code = child[-1].wait()
        child.clear()
        if code != RESTART:
            return code if code >= 0 else 128 - code
        logger.info("restarting the worker with the new code")


class Watcher:
    """In the child: Django's reloader in a thread; a changed .py file stops the worker."""

    def __init__(self, stop: Callable[[], None]) -> None:
        self.stop = stop
        self.changed: Path | None = None
        self.reloader = autoreload.get_reloader()

    def start(self) -> None:
        autoreload.file_changed.connect(self._on_change, weak=False)
        thread = threading.Thread(
            target=self.reloader.run,
            args=(threading.main_thread(),),
            name="reloader",
            daemon=True,
        )
        thread.start()
        logger.info(
            "--reload: watching Python files with %s; a change restarts the worker",
            type(self.reloader).__name__,
        )

    def _on_change(self, sender: Any, file_path: Path, **kwargs: Any) -> bool:
        if Path(file_path).suffix != ".py":
            return False  # templates and translations: Django's own receivers reload them
        if self.changed is None:
            self.changed = Path(file_path)
            logger.info("%s changed: stopping, to restart with the new code", file_path)
            self.reloader.stop()
            self.stop()
        return True  # handled: Django's reloader must not sys.exit() its own thread

    def exit_code(self, code: int) -> int:
        """The worker's exit code, or 3 (restart me) when a change stopped it."""
        return RESTART if self.changed is not None else code
