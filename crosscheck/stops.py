"""How `python -m crosscheck` stops: Ctrl-C (SIGINT) and SIGTERM end any command at any moment
with one line and exit 130 or 143, removing every file the run wrote and stopping its Dask
workers. Only the standard library is imported here, so that `__main__` installs these
handlers before anything heavy loads (a signal during an import is a stop like any other).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from typing import Any

WRITING: list[str] = []
"""The temporary file being written, if any, and then each file this run wrote: a stop removes
them all, so a stopped run leaves nothing that looks like its result."""

CHILDREN: set[int] = set()
"""The processes your code runs in (`crosscheck.isolation`), each the leader of its own process
group: a stop kills each group, your code's own children with it."""

STOPS: dict[int, tuple[int, str]] = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}
"""Each stopping signal's exit status and word."""

LEFT = "nothing written"
"""What the stop's line says the run leaves (`grade`, which keeps each grade as it finishes: where)."""


def stop(signum: int, frame: Any) -> None:
    """Ctrl-C or SIGTERM: stop now, with one line and exit 130 or 143. Not an exception: raised
    from a signal handler, a KeyboardInterrupt can land in a callback that swallows it (JAX's gc
    hook does) and the run goes on to exit 0, or in a library's import or its teardown, which
    then crashes. Child processes (Dask workers) are stopped first."""
    code, word = STOPS.get(signum, (128 + signum, "stopped"))
    try:
        os.write(_silenced(), f"\n{word}: stopped, {LEFT}\n".encode())
        remove_written()
        _children()
    finally:  # whatever the moment, the exit is this one
        os._exit(code)


def _silenced() -> int:
    """This process's stdout and stderr sent to /dev/null, so that the one line is the stop's last
    word; the descriptor to write that line to (a copy of stderr). A library thread that the
    teardown below breaks (a process pool's queue feeder, whose pipe the finalizers close under it)
    would otherwise print its traceback after the line. A write already under way in another
    thread is given SETTLE s to land before the line. Child processes keep their own streams: the
    resource tracker's warnings still show."""
    try:
        line = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
    except OSError:
        return 2
    time.sleep(SETTLE)
    return line


SETTLE = 0.005
"""Seconds a write under way in another thread has to land before the stop's line (a write
that entered the kernel before the redirection finishes in microseconds)."""


def _children() -> None:
    """Stop your code's processes, the Dask workers and the symbolic tier's pool (the child
    processes started here), leaving nothing behind.
    No new semaphore can be made from here on; those this process made for its workers are
    released (multiprocessing's own finalizers, which os._exit would skip); then every worker is
    killed at once, so that no worker's cleanup and no nanny's restart is caught halfway by the
    exit that follows. The resource tracker is left to exit by itself after this process:
    killed, it would leave the run's semaphores in /dev/shm."""
    import logging

    logging.disable(logging.CRITICAL)
    _no_new_semaphores()
    _release_semaphores()
    psutil = sys.modules.get("psutil")  # comes with dask.distributed, which imports it before it starts a worker
    if psutil is not None and not getattr(psutil.__spec__, "_initializing", False):  # fully imported: workers may run
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process().children(recursive=True):
                if not _is_resource_tracker(child):
                    with contextlib.suppress(psutil.Error):
                        child.kill()
    # Without psutil these are the only ones seen: your code's process groups, and multiprocessing's
    # (the symbolic tier's pool, which would hold the run's stderr open).
    multiprocessing = sys.modules.get("multiprocessing")
    pool = []
    with contextlib.suppress(Exception):
        pool = [child.pid for child in multiprocessing.active_children()] if multiprocessing else []
    for kill, pid in [*((os.killpg, group) for group in list(CHILDREN)), *((os.kill, pid) for pid in pool)]:
        with contextlib.suppress(OSError):
            kill(pid, signal.SIGKILL)
    _release_semaphores(rounds=SETTLE_ROUNDS)


SETTLE_ROUNDS = 5
"""Times the finalizers run again, 10 ms apart, at a stop's end: a semaphore being made then is in."""


def _release_semaphores(rounds: int = 1) -> None:
    finalizers = sys.modules.get("multiprocessing.util")
    if finalizers is None:  # multiprocessing not imported: no semaphore made
        return
    for i in range(rounds):
        if i:
            time.sleep(0.01)
        with contextlib.suppress(Exception):
            finalizers._run_finalizers(0)


def _never(*args: Any, **kwargs: Any) -> None:
    threading.Event().wait()  # until the exit that follows


def _no_new_semaphores() -> None:
    """From now on, any thread that would make a multiprocessing semaphore (a nanny starting or
    restarting a worker, on Dask's event-loop thread) waits until the exit instead: one made
    after the finalizers below had run would be left to the resource tracker, which removes it
    but warns, after the one line. One already being made when this runs is done long before
    the finalizers' second run."""
    synchronize = sys.modules.get("multiprocessing.synchronize")
    if synchronize is not None:
        synchronize.SemLock.__init__ = _never


def before_workers() -> None:
    """Before any Dask worker starts: imports what makes semaphores, so a stop can block new ones (`_no_new_semaphores`)."""
    import multiprocessing.synchronize  # noqa: F401


def _is_resource_tracker(process: Any) -> bool:
    try:
        return any("resource_tracker" in part for part in process.cmdline())
    except Exception:  # a process that is gone, or unreadable
        return False


def install() -> dict[int, Any]:
    """`stop` on SIGINT and SIGTERM (in the main thread; elsewhere nothing); the handlers it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {signum: signal.getsignal(signum) for signum in STOPS}
    for signum in previous:
        signal.signal(signum, stop)
    return previous


def restore(previous: dict[int, Any]) -> None:
    """The handlers `install` replaced, put back."""
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def remove_written() -> None:
    """Every file this run wrote, removed (a run stopped by an exception, not by a signal)."""
    for path in WRITING:
        with contextlib.suppress(OSError):
            os.unlink(path)
    WRITING.clear()
