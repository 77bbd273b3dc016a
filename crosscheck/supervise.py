"""Your code runs supervised: every call into your implementation or update is bounded in
time, and what it does besides answering is watched.

`call(fn, args, limit, raised=)` runs `fn(*args)` and turns whatever goes wrong into a
`Problem` (raised as `ImplementationProblem`), never a verdict and never the CLI's status:

* an exception of any kind, `SystemExit` and a `KeyboardInterrupt` your code raises itself
  included ("raised", or "update_raised" for an update). A Ctrl-C from the terminal during
  the call is not your code's: it propagates and stops the run;
* a call that runs past `limit` seconds ("timed_out", with the limit). In the main thread the
  limit is a SIGALRM timer that interrupts your Python code where it is; elsewhere the call
  runs in a daemon thread that is abandoned at the limit (it cannot be stopped, but it keeps
  nothing alive);
* a non-daemon thread your call started and left running ("thread_left"): it would keep the
  process alive after the verdict (the CLI exits with its verdict all the same);
* sys.stdout or sys.stderr closed or replaced by your code: put back, so the report is shown.

The cost is two timer system calls and two signal-handler swaps per call (measured in the
benchmark against an unsupervised call).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from crosscheck.problems import ImplementationProblem, Problem

DEFAULT_LIMIT = 60.0
"""Seconds one call of your code may take (`check_implementation(time_limit=)`, `verify --time-limit`)."""


class _Expired(BaseException):
    """Raised into your code by the timer (a BaseException: an `except Exception` in it does not swallow it)."""


class _Terminal(BaseException):
    """Marks a Ctrl-C that came from the terminal during the call."""


def call(fn: Callable[..., Any], args: tuple[Any, ...], limit: float, raised: str = "raised") -> Any:
    """`fn(*args)` supervised (see the module); its result, or an ImplementationProblem."""
    before = {t.ident for t in threading.enumerate()}
    streams = sys.stdout, sys.stderr
    try:
        if threading.current_thread() is threading.main_thread():
            result = _timed_here(fn, args, limit, raised)
        else:
            result = _timed_in_thread(fn, args, limit, raised)
    finally:
        _restore(streams)
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive() and not t.daemon]
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


def _timed_here(fn: Callable[..., Any], args: tuple[Any, ...], limit: float, raised: str) -> Any:
    terminal = [False]

    def expire(signum: int, frame: Any) -> None:
        raise _Expired

    def interrupt(signum: int, frame: Any) -> None:
        terminal[0] = True
        raise KeyboardInterrupt

    old_alarm = signal.signal(signal.SIGALRM, expire)
    old_int = signal.signal(signal.SIGINT, interrupt)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return fn(*args)
    except _Expired:
        raise ImplementationProblem(Problem("timed_out", got=limit, detail=raised)) from None
    except KeyboardInterrupt:
        if terminal[0]:
            raise
        raise ImplementationProblem(Problem(raised, got="KeyboardInterrupt", detail="")) from None
    except ImplementationProblem:
        raise
    except (Exception, SystemExit) as error:  # your code may raise anything, exit included: that is the report
        raise ImplementationProblem(Problem(raised, got=type(error).__name__, detail=str(error))) from error
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_alarm)
        signal.signal(signal.SIGINT, old_int)


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
