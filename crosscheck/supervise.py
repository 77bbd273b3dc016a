"""Your code runs supervised: every call into your implementation or update is bounded in
time, and what it does besides answering is watched.

`call(fn, args, limit, raised=)` runs `fn(*args)` and turns whatever goes wrong into a
`Problem` (raised as `ImplementationProblem`), never a verdict and never the CLI's status:

* an exception of any kind, `SystemExit` and a `KeyboardInterrupt` your code raises itself
  included ("raised", or "update_raised" for an update). A Ctrl-C from the terminal during
  the call is not your code's: it stops the run, even when your code (or a gc callback) caught
  the KeyboardInterrupt on its way out;
* a call that runs past `limit` seconds ("timed_out", with the limit). In the main thread the
  limit is a SIGALRM timer that interrupts your Python code where it is, and fires again every
  REFIRE s should your code catch it; elsewhere the call
  runs in a daemon thread that is abandoned at the limit (it cannot be stopped, but it keeps
  nothing alive);
* a non-daemon thread your call started and left running ("thread_left"): it would keep the
  process alive after the verdict (the CLI exits with its verdict all the same);
* sys.stdout or sys.stderr closed or replaced by your code: put back, so the report is shown;
* a call stuck in native code (one long BLAS or C call, which no timer can interrupt): a
  watchdog sees it GRACE seconds past the limit and tells `on_stuck`'s callback (the CLI
  reports it and exits 1); without a callback the check waits for the call to return.

Inside `watching()` (a whole check: `check_implementation` enters it) the two signal handlers
are installed once and each call only arms a flag and a timer: two timer system calls and
two thread listings per call. A call outside it installs and restores the handlers itself,
four signal-handler swaps more (about 8 µs each here). The benchmark measures the cost
against an unsupervised call.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from crosscheck.problems import ImplementationProblem, Problem

DEFAULT_LIMIT = 60.0
"""Seconds one call of your code may take (`check_implementation(time_limit=)`, `verify --time-limit`)."""


class _Expired(BaseException):
    """Raised into your code by the timer (a BaseException: an `except Exception` in it does not swallow it,
    and one that catches everything meets the next shot, REFIRE s later)."""


def call(fn: Callable[..., Any], args: tuple[Any, ...], limit: float, raised: str = "raised") -> Any:
    """`fn(*args)` supervised (see the module); its result, or an ImplementationProblem."""
    before = set(threading.enumerate())  # the Thread objects: an ident is reused once its thread ends
    streams = sys.stdout, sys.stderr
    try:
        if threading.current_thread() is threading.main_thread():
            result = _timed_here(fn, args, limit, raised)
        else:
            result = _timed_in_thread(fn, args, limit, raised)
    except _Expired:  # the timer's last instant, just after your code returned: still past the limit
        raise ImplementationProblem(Problem("timed_out", got=limit, detail=raised)) from None
    finally:
        _restore(streams)
    left = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    if left:
        raise ImplementationProblem(Problem("thread_left", got=left[0].name, detail=str(len(left))))
    return result


def _restore(streams: tuple[Any, Any]) -> None:
    """sys.stdout and sys.stderr as they were before your call: replaced ones are put back, and
    closed ones are reopened on the same file descriptors (the report must still be shown)."""
    for name, stream, fd in (("stdout", streams[0], 1), ("stderr", streams[1], 2)):
        current = getattr(sys, name)
        if current is not stream or getattr(stream, "closed", False):
            if getattr(stream, "closed", False):
                stream = open(fd, "w", closefd=False, encoding=getattr(stream, "encoding", None) or "utf-8")  # noqa: SIM115 (kept as the stream)
            setattr(sys, name, stream)


REFIRE = 0.1
"""Seconds between the timer's shots once a call is past its limit (until the call gives up)."""

GRACE = 5.0
"""Seconds past its limit after which a call is taken to be stuck in native code (`on_stuck`)."""

_STUCK: list[Callable[[float, float], None]] = []


def on_stuck(callback: Callable[[float, float], None] | None) -> None:
    """Have a watchdog call `callback(limit, elapsed)` (from its own thread) when a call of your
    code is still running GRACE seconds past its limit: the timer cannot interrupt native code
    (one long BLAS or C call), which then returns only when it returns. The CLI's callback
    reports it and exits; None removes it."""
    _STUCK[:] = [callback] if callback is not None else []


class _Watch:
    """The signal handlers of one watch: armed only while a call of your code runs."""

    def __init__(self) -> None:
        self.armed = False
        self.terminal = False
        self.previous: dict[int, Any] = {}
        self.since, self.limit = 0.0, 0.0
        self.done = threading.Event()

    def watchdog(self, callback: Callable[[float, float], None]) -> None:
        while not self.done.wait(0.25):
            elapsed = time.monotonic() - self.since
            if self.armed and elapsed > self.limit + GRACE:
                callback(self.limit, elapsed)
                return

    def expire(self, signum: int, frame: Any) -> None:
        if self.armed:
            raise _Expired
        _chain(self.previous.get(signum), signum, frame)

    def interrupt(self, signum: int, frame: Any) -> None:
        """A Ctrl-C from the terminal goes where it would have gone without the watch (the CLI's
        handler stops the run; Python's own raises KeyboardInterrupt); during your call it is
        marked as the terminal's, so that it is not reported as your code's."""
        self.terminal = self.armed
        _chain(self.previous.get(signum), signum, frame, interrupt=True)

    def install(self) -> None:
        self.previous = {signal.SIGALRM: signal.signal(signal.SIGALRM, self.expire)}
        self.previous[signal.SIGINT] = signal.signal(signal.SIGINT, self.interrupt)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _chain(handler: Any, signum: int, frame: Any, interrupt: bool = False) -> None:
    """A signal outside your call goes where it would have gone without the watch."""
    if callable(handler):
        handler(signum, frame)
    elif interrupt and handler != signal.SIG_IGN:
        raise KeyboardInterrupt


_WATCH: list[_Watch] = []
"""The watch in force in the main thread, if any (`watching`)."""


@contextlib.contextmanager
def watching() -> Iterator[None]:
    """Supervise every call inside with one pair of signal handlers (installed here, restored
    after) instead of a pair per call. Nested watches share the outer one; off the main thread
    it does nothing (calls there run in a thread of their own)."""
    if _WATCH or threading.current_thread() is not threading.main_thread():
        yield
        return
    watch = _Watch()
    watch.install()
    _WATCH.append(watch)
    if _STUCK:
        threading.Thread(target=watch.watchdog, args=(_STUCK[0],), name="crosscheck-watchdog", daemon=True).start()
    try:
        yield
    finally:
        watch.done.set()
        _WATCH.pop()
        watch.restore()


def _timed_here(fn: Callable[..., Any], args: tuple[Any, ...], limit: float, raised: str) -> Any:
    if _WATCH:
        return _armed(_WATCH[0], fn, args, limit, raised)
    with watching():
        return _armed(_WATCH[0], fn, args, limit, raised)


def _armed(watch: _Watch, fn: Callable[..., Any], args: tuple[Any, ...], limit: float, raised: str) -> Any:
    watch.since, watch.limit = time.monotonic(), limit
    watch.armed, watch.terminal = True, False
    # Past the limit the timer fires again every REFIRE s: an exception raised from a signal
    # handler can be swallowed (by your code's own `except BaseException`, or by a gc callback
    # that runs at that moment), and one expiry must not be the only one.
    signal.setitimer(signal.ITIMER_REAL, limit, REFIRE)
    try:
        result = fn(*args)
    except _Expired:
        raise ImplementationProblem(Problem("timed_out", got=limit, detail=raised)) from None
    except KeyboardInterrupt:
        if watch.terminal:
            raise
        raise ImplementationProblem(Problem(raised, got="KeyboardInterrupt", detail="")) from None
    except ImplementationProblem:
        raise
    except (Exception, SystemExit) as error:  # your code may raise anything, exit included: that is the report
        if watch.terminal:  # the terminal's Ctrl-C, turned into another exception on its way out
            raise KeyboardInterrupt from None
        raise ImplementationProblem(Problem(raised, got=type(error).__name__, detail=str(error))) from error
    finally:
        watch.armed = False  # first: a timer or Ctrl-C from here on is not your call's
        signal.setitimer(signal.ITIMER_REAL, 0)
    if watch.terminal:  # the terminal's Ctrl-C came during your call and its KeyboardInterrupt was swallowed
        raise KeyboardInterrupt  # on the way (a gc callback, your code's own except): the check stops all the same
    return result


def _timed_in_thread(fn: Callable[..., Any], args: tuple[Any, ...], limit: float, raised: str) -> Any:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = fn(*args)
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=run, name="crosscheck-supervised-call", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        raise ImplementationProblem(Problem("timed_out", got=limit, detail=raised))
    error = outcome.get("error")
    if isinstance(error, ImplementationProblem):
        raise error
    if isinstance(error, (Exception, SystemExit, KeyboardInterrupt)):
        raise ImplementationProblem(Problem(raised, got=type(error).__name__, detail=str(error))) from error
    if error is not None:
        raise error
    return outcome.get("result")
