"""Your code in a child process: the checker's side of the process boundary (docs/DESIGN.md,
"The process boundary").

`Runner(targets, limits)` keeps one child process (`crosscheck.child`) that has imported your
module, or unpickled your function (shipped with cloudpickle), and runs its calls:
`run(groups)` takes the calls of many cases at once (a group is one case's calls) and gives
back one `Outcome` per call, in order. What crosses the boundary:

* to the child: your function's name or its cloudpickle bytes, then the arrays of each call
  (pickled: the child trusts the checker);
* from the child: what your code returned or raised, as data (`crosscheck.wire`: JSON and
  NumPy's .npy, nothing that can run code here), and which of its input arrays it changed.

The checker alone keeps the time: a call that does not answer within `Limits.seconds` is
"timed_out", and its child is killed (with every process it started) and a fresh one takes the
next case; a child that dies (a signal, os._exit, a segfault, memory) is "died", and one that
sends anything but an answer is "garbled", each the same way. After STOP_AFTER consecutive
cases whose calls did not finish (or STOP_IN_ALL in all), the cases after them are "not_run": a
hang costs one time limit per case, and a run at most STOP_IN_ALL of them. What your code printed is captured (the
child's stdout and stderr go to a file) and each outcome carries its call's share.

`InProcess` runs the same calls in this process (`isolate=False`: a function you trust),
with no time limit and no boundary: its outcomes are the same data.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crosscheck import stops, wire
from crosscheck.child import FRAME, answer

if TYPE_CHECKING:
    from crosscheck.containment import Cage

DEFAULT_SECONDS = 10.0
"""Seconds one call of your code may take (`time_limit=`, `verify --time-limit`)."""
DEFAULT_MEMORY = 8192.0
"""MiB of address space (RLIMIT_AS) the child may map (`memory_limit=`, `verify --memory-limit`): room for
torch and JAX, should your code import them, and a stop for one that allocates without end."""
LOAD_SECONDS = 60.0
"""Seconds your module may take to import in the child (at least the call limit): torch alone takes 2."""
STOP_AFTER = 2
"""Consecutive cases whose calls did not finish (timed out, died) after which the rest are not run."""
STOP_IN_ALL = 5
"""Cases whose calls did not finish, consecutive or not, after which the rest are not run: code that hangs
on some shapes costs at most this many time limits."""
MESSAGE = wire.LARGEST + (1 << 20)
"""Bytes of one message at most: an answer's arrays (wire.LARGEST) and its header. Your process says a larger
answer is too large instead of sending it; a message past this is refused as garbled."""
BATCH = 8 << 20
"""Bytes of calls sent to the child in one message (the child reads a message whole, then answers)."""
OUTPUT = 4000
"""Characters of your code's printed output kept per call (its end)."""
SLICE = 0.2
"""Seconds between two looks, while waiting for your code's answer, at whether a Ctrl-C came."""

Call = tuple[str, tuple[Any, ...]]
"""One call of your code: its role ("backward" or "update") and its arguments."""
Target = tuple[Any, ...]
"""How the child finds your function: ("import", module, name), ("pickled", bytes) or ("file", path, name)."""


@dataclass(frozen=True)
class Submission:
    """The function `name` of a submission at `path`: a .py file, a package folder or a Jupyter notebook (its code
    cells run in order), loaded in the process your code runs in (`crosscheck.child.loaded_file`), never here."""

    path: str
    name: str
    home: str = ""
    """A folder that comes with it (a multi-file submission: its helper modules), importable where it runs."""

    def __repr__(self) -> str:
        return f"crosscheck.Submission({self.path!r}, {self.name!r}{f', home={self.home!r}' if self.home else ''})"


@dataclass(frozen=True)
class Limits:
    """What one call of your code may take: `seconds`, and `memory` MiB of address space (None: no limit)."""

    seconds: float = DEFAULT_SECONDS
    memory: float | None = DEFAULT_MEMORY
    cage: Cage | None = None
    """Contained by the operating system (`crosscheck.containment`): how grading runs a submission."""


@dataclass(frozen=True)
class Outcome:
    """What one call of your code came to, as data.

    kind: "returned" (`value`, and `changed`: the input arrays it changed), "raised" (`error`,
    `message`, `where`, SystemExit's `code`), "too_large" (`code`: its bytes), "timed_out", "died" (`how`), "garbled" (`how`),
    "unreadable" (what it returned raised while being read: `error`, `message`) or "not_run"
    (`how`: why the call was not made). `seconds` is how long it ran; `output`, what it printed."""

    kind: str
    value: Any = None
    error: str = ""
    message: str = ""
    where: str = ""
    code: Any = None
    changed: tuple[str, ...] = ()
    seconds: float = 0.0
    how: str = ""
    output: str = ""

    @property
    def finished(self) -> bool:
        """Whether the call came back (with an answer or an exception)."""
        return self.kind in ("returned", "raised", "unreadable", "too_large")


class LoadFailure(Exception):
    """Your code could not be loaded in the child: `what` says what happened, as a report says it."""

    def __init__(self, what: str, output: str = "") -> None:
        super().__init__(what)
        self.what, self.output = what, output


class Unshippable(TypeError):
    """Your function cannot be sent to a child process (cloudpickle refused it)."""


def shipped(fn: Callable[..., Any]) -> Target:
    """`fn` for the child: by name when its module can be imported there, else its cloudpickle bytes
    (a function defined in a notebook, a test or `__main__` goes by value)."""
    try:
        import cloudpickle
    except ImportError:
        cloudpickle = None
    try:
        data = cloudpickle.dumps(fn) if cloudpickle is not None else pickle.dumps(fn)
    except Exception as error:
        raise Unshippable(
            f"{getattr(fn, '__qualname__', fn)!s} cannot be sent to a child process to run there "
            f"({type(error).__name__}: {wire.said(error)}): define it at the top level of a module, or pass "
            "isolate=False to run it in this process (a function you trust: no time limit, nothing kept from it)"
        ) from None
    return ("pickled", data)


def named(module: str, name: str) -> Target:
    """The function `name` of `module`, imported in the child (this process never imports it)."""
    return ("import", module, name)


def located(submission: Submission) -> Target:
    """The function of a submission, loaded from its file in the child."""
    return ("file", submission.path, submission.name, submission.home)


# --- Ctrl-C in the API ------------------------------------------------------------------------
INTERRUPTED = threading.Event()
"""Set by a Ctrl-C during a check (`ctrl_c_kept`): what the waits for your code's answers look at."""


def _interrupt(signum: int, frame: Any) -> None:
    INTERRUPTED.set()
    raise KeyboardInterrupt


@contextlib.contextmanager
def ctrl_c_kept() -> Any:
    """A check run in your own process's main thread, under Python's own Ctrl-C handler: a Ctrl-C
    stops it with KeyboardInterrupt even where the KeyboardInterrupt raised by the handler is
    swallowed (it can land in a callback that drops it: JAX's gc hook does). The Ctrl-C is also
    recorded, and the wait for your code's answers (`_Child.next`) and the check's end raise it.
    Under a handler of your own, or off the main thread, your handler is left as it is."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    INTERRUPTED.clear()
    signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
        if INTERRUPTED.is_set():  # raised, then swallowed where the wait did not see it
            raise KeyboardInterrupt
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        INTERRUPTED.clear()


# --- one child process ------------------------------------------------------------------------
class _Child:
    """One process running `crosscheck.child`, its channel, and a thread that reads the channel
    into a queue as answers arrive (stamped with their arrival), so that the child never waits
    for this process to read."""

    def __init__(self, targets: dict[str, Target], limits: Limits) -> None:
        self.limits = limits
        ours, theirs = socket.socketpair()
        # What your code prints goes through a pipe this process drains (`Printed`): a print never
        # fails (no temporary file to fill) and never blocks, and only its end is kept.
        self.output = Printed()
        env = {**os.environ}
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")  # small arrays: BLAS threads would only spin against the checker's
        command = [sys.executable, "-c"]
        cage: dict[str, Any] | None = None
        self.removed: Callable[[], None] = lambda: None
        if limits.cage is not None:
            from crosscheck import containment

            cage, self.removed = containment.prepared(limits.cage)
            command = [*containment.UNSHARE, *command]
        boot = "import sys; sys.path.insert(0, sys.argv[2]); from crosscheck.child import main; main(int(sys.argv[1]))"
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.process = subprocess.Popen(
            [*command, boot, str(theirs.fileno()), root],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=self.output.write_end,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a terminal's Ctrl-C reaches the checker alone
            env=env,
        )
        theirs.close()
        self.output.started()
        stops.CHILDREN.add(self.process.pid)
        self.channel = ours
        self.arrivals: queue.Queue[tuple[float, bytes | None, str]] = queue.Queue()
        self.started = time.monotonic()
        self.answers_as = self.process.pid
        load = {"path": list(sys.path), "memory": limits.memory, "targets": targets, "cage": cage}
        self.channel.sendall(FRAME.pack(len(payload := pickle.dumps(load))) + payload)
        threading.Thread(target=self._read, name="crosscheck-child-reader", daemon=True).start()
        # Killed and closed when this object goes, or at exit, whoever forgot to close it.
        self.end = weakref.finalize(self, _end, self.process, self.channel, self.output, self.removed)

    def _read(self) -> None:
        """Frames off the channel into `arrivals` until it closes (None), or a frame too large to take."""
        buffer = b""
        try:
            while True:
                while len(buffer) < FRAME.size or len(buffer) < FRAME.size + FRAME.unpack_from(buffer)[0]:
                    if len(buffer) >= FRAME.size and FRAME.unpack_from(buffer)[0] > MESSAGE:
                        self.arrivals.put((time.monotonic(), None, f"an answer of {FRAME.unpack_from(buffer)[0]:,} bytes"))
                        return
                    try:
                        chunk = self.channel.recv(1 << 20)
                    except TimeoutError:  # `send`'s timeout is the socket's: a quiet child, not a closed channel
                        continue
                    if not chunk:
                        self.arrivals.put((time.monotonic(), None, ""))
                        return
                    buffer += chunk
                size = FRAME.unpack_from(buffer)[0]
                self.arrivals.put((time.monotonic(), buffer[FRAME.size : FRAME.size + size], ""))
                buffer = buffer[FRAME.size + size :]
        except OSError:
            self.arrivals.put((time.monotonic(), None, ""))

    def send(self, calls: list[tuple[int, str, tuple[Any, ...]]]) -> float:
        """The calls, in one message; when they were sent."""
        payload = pickle.dumps(calls, protocol=pickle.HIGHEST_PROTOCOL)
        self.channel.settimeout(self.limits.seconds + 5)  # a child that stops reading cannot hold the checker
        # A child that died between calls, or stopped reading: the wait for its answers says which.
        with contextlib.suppress(OSError):
            self.channel.sendall(FRAME.pack(len(payload)) + payload)
        return time.monotonic()

    def next(self, since: float, seconds: float) -> tuple[float, dict[str, Any] | None, str]:
        """The next message, if it arrives within `seconds` of `since`: (when, message, "") or
        (now, None, why not: "timed_out", "died", or "garbled: ..."). A Ctrl-C recorded while it
        waits (`ctrl_c_kept`) raises KeyboardInterrupt within SLICE s."""
        while True:
            if INTERRUPTED.is_set():
                raise KeyboardInterrupt
            left = since + seconds - time.monotonic()
            try:
                when, data, why = self.arrivals.get(timeout=min(SLICE, max(0.0, left)))
                break
            except queue.Empty:
                if left <= SLICE:
                    return time.monotonic(), None, "timed_out"
        if when > since + seconds:  # it came, but after the limit: queued while this process was busy
            return when, None, "timed_out"
        if data is None:
            return when, None, f"garbled: {why}" if why else "died"
        try:
            return when, wire.decode(data), ""
        except wire.WireError as error:
            return when, None, f"garbled: {error}"

    def printed(self) -> str:
        """What the child printed since the last call of this (its end, OUTPUT characters)."""
        return self.output.taken()

    def how_it_ended(self) -> str:
        """How the process ended, once it has (after `kill`, or on its own)."""
        code = self.process.poll()
        if code is None:
            return "closed its channel to the checker"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"was killed by signal {signal.Signals(-code).name}"
            return f"was killed by signal {-code}"
        return f"exited with status {code}"

    def kill(self) -> int:
        """The child and every process in its group killed, and reaped; how many others it had started."""
        others = _descendants(self.process.pid)
        for pid in others:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.end()
        return len(others)


class Printed:
    """The child's standard output and error: a pipe, drained by a thread of this process as the child writes,
    of which only the last 4·OUTPUT bytes since the last `taken` are kept. The child flushes before it
    answers, so what a call printed is in the pipe when its answer arrives: `taken` drains it first."""

    def __init__(self) -> None:
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.read_end, False)
        self.kept = bytearray()
        self.lock = threading.Lock()
        self.open = True

    def started(self) -> None:
        """The child holds the write end now: close ours (EOF comes when the child and its own children end)."""
        os.close(self.write_end)
        threading.Thread(target=self._drain, name="crosscheck-child-output", daemon=True).start()

    def _drain(self) -> None:
        while self.open:
            try:
                ready, _, _ = select.select([self.read_end], [], [], SLICE)
            except (OSError, ValueError):  # closed meanwhile
                return
            if ready and not self._read():
                return

    def _read(self) -> bool:
        """What is in the pipe now, kept; False at its end (or once closed)."""
        with self.lock:
            if not self.open:
                return False
            while True:
                try:
                    chunk = os.read(self.read_end, 1 << 16)
                except BlockingIOError:
                    return True
                except OSError:
                    return False
                if not chunk:
                    return False
                self.kept += chunk
                del self.kept[: max(0, len(self.kept) - 4 * OUTPUT)]

    def taken(self) -> str:
        """What was printed since the last call of this (its end, OUTPUT characters)."""
        self._read()
        with self.lock:
            data, self.kept = bytes(self.kept), bytearray()
        return data.decode(errors="replace")[-OUTPUT:]

    def close(self) -> None:
        with self.lock:
            if self.open:
                self.open = False
                os.close(self.read_end)


def _end(process: subprocess.Popen[bytes], channel: socket.socket, output: Printed, removed: Callable[[], None]) -> None:
    """A child's process group killed and reaped, its channel and output file closed, what contained it removed."""
    if process.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    stops.CHILDREN.discard(process.pid)
    for handle in (channel, output):
        with contextlib.suppress(OSError):
            handle.close()
    removed()


def _descendants(pid: int) -> list[int]:
    """The processes under `pid` (psutil, when installed; else none are seen: the group is killed all the same)."""
    try:
        import psutil
    except ImportError:
        return []
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


# --- the runner: a persistent child, restarted after a kill -----------------------------------
@dataclass
class Runner:
    """Your function and update in a child process that persists between calls (see the module)."""

    targets: dict[str, Target]
    limits: Limits = field(default_factory=Limits)
    child: _Child | None = None
    left_running: int = 0
    """Processes your code started that were still running when their child was killed."""
    pid: int = 0
    isolated: bool = True
    notes: list[str] = field(default_factory=list)
    """What loading your code noticed (a notebook's cell that raised), one sentence each."""

    def start(self) -> None:
        """Start the child now (it loads your code while this process goes on); `run` waits for it."""
        if self.child is None:
            self.child = _Child(self.targets, self.limits)

    def _ready(self) -> _Child:
        """The child, loaded: LoadFailure when your code could not be loaded."""
        self.start()
        child = self.child
        assert child is not None
        if self.pid == 0 or self.pid != child.process.pid:
            _, message, why = child.next(child.started, max(LOAD_SECONDS, self.limits.seconds))
            if message is None or message.get("type") != "loaded":
                failure = LoadFailure(_load_failure(message, why, child), child.printed())
                self._discard()
                raise failure
            if message.get("not_callable"):
                self._discard()
                raise LoadFailure(f"{' and '.join(message['not_callable'])} is not callable")
            notes = message.get("notes")
            self.notes = [str(n) for n in notes] if isinstance(notes, list) else []
            self.pid = child.process.pid
            # The pid it answers with: its own, or 1 where it is the first process of its own PID namespace.
            child.answers_as = 1 if message.get("pid") == 1 else child.process.pid
        return child

    def _discard(self) -> None:
        if self.child is not None:
            self.left_running += self.child.kill()
            self.child = None

    def close(self) -> None:
        """The child killed, with whatever your code left running in it."""
        self._discard()

    def run(self, groups: Sequence[Sequence[Call]]) -> list[list[Outcome]]:
        """Each group's calls, in order, each answered or accounted for (see the module)."""
        return self.submit(groups)()

    def submit(self, groups: Sequence[Sequence[Call]]) -> Callable[[], list[list[Outcome]]]:
        """`run`, begun: the first calls go to the child now (it answers while this process goes
        on, its answers kept as they arrive); what is returned collects them all."""
        flat = [(g, role, args) for g, group in enumerate(groups) for role, args in group]
        outcomes: list[list[Outcome]] = [[] for _ in groups]
        if not flat:
            return lambda: outcomes
        child = self._ready()
        first = _batch(flat, 0)
        sent = child.send([(k, role, args) for k, (_, role, args) in enumerate(first)])
        return lambda: self._finish(flat, outcomes, child, len(first), sent)

    def _finish(
        self, flat: list[tuple[int, str, tuple[Any, ...]]], outcomes: list[list[Outcome]], child: _Child, count: int, sent: float
    ) -> list[list[Outcome]]:
        unfinished: list[int] = []  # the groups whose calls did not finish
        i = self._collect(child, flat, 0, count, sent, outcomes, unfinished)
        while i < len(flat):
            if _stopped(unfinished):
                how = f"not run: {STOP_AFTER} consecutive cases before it, or {STOP_IN_ALL} in all, did not finish"
                for g, _, _ in flat[i:]:
                    outcomes[g].append(Outcome("not_run", how=how))
                break
            child = self._ready()
            batch = _batch(flat, i)
            sent = child.send([(i + k, role, args) for k, (_, role, args) in enumerate(batch)])
            i = self._collect(child, flat, i, len(batch), sent, outcomes, unfinished)
        return outcomes

    def _collect(  # noqa: PLR0917 (the state of one batch, shared with run)
        self,
        child: _Child,
        flat: list[tuple[int, str, tuple[Any, ...]]],
        start: int,
        count: int,
        sent: float,
        outcomes: list[list[Outcome]],
        unfinished: list[int],
    ) -> int:
        """The answers of one batch, into `outcomes`; the index of the next call to send."""
        since = sent
        for k in range(start, start + count):
            g = flat[k][0]
            when, message, why = child.next(since, self.limits.seconds)
            outcome = _outcome(message, why, k, child, max(0.0, when - since))  # a death before the send: 0 s
            outcomes[g].append(outcome)
            since = when
            if outcome.finished:
                continue
            self._discard()
            unfinished.append(g)
            following = next((j for j in range(k + 1, len(flat)) if flat[j][0] != g), len(flat))
            for _ in range(k + 1, following):
                outcomes[g].append(Outcome("not_run", how="not run: an earlier call of the same case did not finish"))
            return following
        return start + count


def _stopped(unfinished: list[int]) -> bool:
    """Whether the cases that did not finish (their indices, in order) end the run."""
    consecutive = len(unfinished) >= STOP_AFTER and unfinished[-1] - unfinished[-STOP_AFTER] == STOP_AFTER - 1
    return consecutive or len(unfinished) >= STOP_IN_ALL


def _batch(flat: list[tuple[int, str, tuple[Any, ...]]], start: int) -> list[tuple[int, str, tuple[Any, ...]]]:
    """The calls from `start` that fit in one message of about BATCH bytes."""
    size, end = 0, start
    while end < len(flat) and (end == start or size < BATCH):
        size += sum(getattr(a, "nbytes", 64) for a in _arrays(flat[end][2]))
        end += 1
    return flat[start:end]


def _arrays(args: tuple[Any, ...]) -> list[Any]:
    weights, biases, x, y = args[:4]
    return [*weights, *biases, x, y]


def _outcome(message: dict[str, Any] | None, why: str, ident: int, child: _Child, seconds: float) -> Outcome:
    """The child's message about call `ident` as an Outcome (or why none came)."""
    printed = child.printed()
    if message is None:
        if why == "timed_out":
            return Outcome("timed_out", seconds=seconds, output=printed)
        if why == "died":
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=1)
            return Outcome("died", seconds=seconds, how=child.how_it_ended(), output=child.printed() or printed)
        return Outcome("garbled", seconds=seconds, how=why.removeprefix("garbled: "), output=printed)
    if message.get("id") != ident or message.get("pid") != child.answers_as:
        how = "an answer from another process (your code forked?)" if message.get("pid") != child.answers_as else "out of order"
        return Outcome("garbled", seconds=seconds, how=how, output=printed)
    return _from_message(message, seconds, printed)


def _from_message(message: dict[str, Any], seconds: float, printed: str) -> Outcome:
    kind = str(message.get("type"))
    if kind == "too_large":
        return Outcome(kind, code=message.get("bytes"), seconds=seconds, output=printed)
    if kind not in ("returned", "raised", "unreadable"):
        return Outcome("garbled", seconds=seconds, how=f"a message of type {kind!r}", output=printed)
    changed = message.get("changed", [])
    return Outcome(
        kind,
        value=message.get("value"),
        error=str(message.get("error", "")),
        message=str(message.get("message", "")),
        where=str(message.get("where", "")),
        code=message.get("code"),
        changed=tuple(str(c) for c in changed) if isinstance(changed, list) else (),
        seconds=seconds,
        output=printed,
    )


def _load_failure(message: dict[str, Any] | None, why: str, child: _Child) -> str:
    """What happened to your code while the child loaded it, as a report says it."""
    if message is not None and message.get("type") == "load_failed":
        error, said, where = message.get("error", ""), message.get("message", ""), message.get("where", "")
        at = f" (at {where})" if where else ""
        if error == "Uncontained":
            return f"the grader could not contain the process your code runs in, so it did not load your code ({said})"
        if error == "SystemExit":
            return (
                f"your code exited (SystemExit, code {message.get('code')!r}) while it was being imported{at}: a script's "
                "`sys.exit(main())` needs an `if __name__ == '__main__':` guard, so that importing it defines your function"
            )
        return f"your code raised {error} while it was being imported{': ' + said if said else ''}{at}"
    if why == "timed_out":
        return "your code did not finish importing within its time limit (a module that runs work, or waits, at import?)"
    if why == "died":
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(timeout=1)
        return f"the process your code was imported in {child.how_it_ended()} while importing it (os._exit, a crash?)"
    return f"the process your code was imported in sent something other than its answer ({why.removeprefix('garbled: ')})"


# --- in this process --------------------------------------------------------------------------
@dataclass
class InProcess:
    """Your function and update run here (`isolate=False`): the same outcomes, no boundary, no time limit.
    An exception is your code's answer, but KeyboardInterrupt (your Ctrl-C) stops the check."""

    functions: dict[str, Callable[..., Any]]
    isolated: bool = False
    left_running: int = 0
    notes: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Nothing to start."""

    def close(self) -> None:
        """Nothing to stop."""

    def submit(self, groups: Sequence[Sequence[Call]]) -> Callable[[], list[list[Outcome]]]:
        """The calls made now, here; what returns their outcomes."""
        done = self.run(groups)
        return lambda: done

    def run(self, groups: Sequence[Sequence[Call]]) -> list[list[Outcome]]:
        outcomes = []
        for group in groups:
            answers = []
            if INTERRUPTED.is_set():  # a Ctrl-C swallowed where it landed (`ctrl_c_kept`)
                raise KeyboardInterrupt
            for role, args in group:
                message = answer(self.functions[role], args)
                if message.get("error") == "KeyboardInterrupt":
                    raise KeyboardInterrupt
                try:
                    data = wire.decode(wire.encode(message))  # the same data an isolated call gives
                except wire.TooLarge as error:
                    data = {"type": "too_large", "bytes": error.size}
                except BaseException as error:  # your object's methods raised while being read
                    data = {"type": "unreadable", "error": type(error).__name__, "message": wire.said(error)}
                answers.append(_from_message(data, float(message.get("seconds", 0.0)), ""))
            outcomes.append(answers)
        return outcomes


Calls = Runner | InProcess
"""Whatever runs your calls: in a child process, or here."""
