"""The process your code runs in (`crosscheck.isolation` starts it; docs/DESIGN.md, "The process boundary").

It imports your module (or unpickles your function, shipped with cloudpickle), then answers
the checker's requests: each is a list of calls of your backward pass or your update on arrays
the checker sent; for each call it sends back, as data (`crosscheck.wire`), what your code
returned or raised, and which of its input arrays it changed. It never judges anything: the
checker's process judges what arrives, and whatever your code does here (exit, patch NumPy,
torch or JAX, install signal handlers, fork, start threads, close its streams, leave atexit
handlers) stays in this process, which the checker kills when it is done with it.

It ignores SIGINT and SIGTERM (the checker owns them: a Ctrl-C stops the checker, which kills
this process), runs in its own session (a terminal's Ctrl-C never reaches it), and ends when
the checker does: a watcher thread sees the parent go.

Only the standard library, NumPy and `crosscheck.wire` are imported here (cloudpickle's
functions are loaded by pickle when your function was shipped by value).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import pickle
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from crosscheck import wire

FRAME = struct.Struct("<Q")
"""Each message on the channel is its length (8 bytes, little-endian) and then its bytes."""


def send(channel: socket.socket, data: bytes) -> None:
    channel.sendall(FRAME.pack(len(data)) + data)


def receive(channel: socket.socket) -> bytes:
    """One whole message from the checker; EOF (the checker is gone) ends this process."""
    head = _exactly(channel, FRAME.size)
    return _exactly(channel, FRAME.unpack(head)[0])


def _exactly(channel: socket.socket, count: int) -> bytes:
    chunks, left = [], count
    while left:
        chunk = channel.recv(min(left, 1 << 20))
        if not chunk:
            os._exit(0)
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main(fd: int) -> None:
    """Serve the checker on the socket `fd`: load, then answer calls until the checker goes."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    parent = os.getppid()
    channel = socket.socket(fileno=fd)
    load = pickle.loads(receive(channel))  # from the checker, which started this process: trusted
    sys.path[:] = load["path"]
    targets = load["targets"]
    if load.get("cage"):
        try:
            from crosscheck.containment import seal

            targets = seal(load["cage"], targets)
        except BaseException as error:  # not contained: your code is not loaded
            send(channel, wire.encode({"type": "load_failed", "error": "Uncontained", "message": str(error), "role": ""}))
            os._exit(0)
    # Started after the seal: a process enters a user namespace only while it has one thread.
    threading.Thread(target=_watch_parent, args=(parent, fd), name="crosscheck-parent-watch", daemon=True).start()
    _limit_memory(load["memory"])
    functions: dict[str, Callable[..., Any]] = {}
    try:
        for role, target in targets.items():
            functions[role] = _loaded(target)
    except BaseException as error:  # your module's import may raise anything, exit included: that is the report
        _flush()
        send(channel, wire.encode({"type": "load_failed", **_described(error), "role": role}))
        os._exit(0)
    not_callable = sorted(role for role, fn in functions.items() if not callable(fn))
    _flush()
    notes = [note for module in _FILES.values() for note in getattr(module, "__crosscheck_notes__", [])]
    send(channel, wire.encode({"type": "loaded", "pid": os.getpid(), "not_callable": not_callable, "notes": notes}))
    while True:
        calls = pickle.loads(receive(channel))
        for ident, role, args in calls:
            outcome = answer(functions[role], args)
            _flush()
            send(channel, _encoded({"id": ident, "pid": os.getpid(), **outcome}))


def _encoded(message: dict[str, Any]) -> bytes:
    """The outcome as bytes; one that cannot be encoded (your object's methods raised while being
    read) is described instead."""
    try:
        return wire.encode(message)
    except wire.TooLarge as error:
        return wire.encode({"id": message["id"], "pid": os.getpid(), "type": "too_large", "bytes": error.size})
    except BaseException as error:
        return wire.encode({"id": message["id"], "pid": os.getpid(), "type": "unreadable", **_described(error)})


def answer(fn: Callable[..., Any], args: tuple[Any, ...]) -> dict[str, Any]:
    """One call of your code: what it returned (or raised), how long it took, and which of the
    arrays it was given it changed. Also what `isolation.InProcess` runs, in the checker's own process."""
    given = _inputs(args)
    before = [array.tobytes() for _, array in given]
    start = time.perf_counter()
    try:
        with np.errstate(all="ignore"):
            value = fn(*args)
    except BaseException as error:  # anything your code raises, SystemExit and KeyboardInterrupt included, is its answer
        return {"type": "raised", "seconds": time.perf_counter() - start, **_described(error)}
    seconds = time.perf_counter() - start
    changed = [name for (name, array), old in zip(given, before) if array.tobytes() != old]
    return {"type": "returned", "seconds": seconds, "changed": changed, "value": value}


def _inputs(args: tuple[Any, ...]) -> list[tuple[str, np.ndarray]]:
    """The arrays of a call (weights, biases, x, y[, η]) with the names a report gives them."""
    weights, biases, x, y = args[:4]
    named = [(f"weights[{i}]", W) for i, W in enumerate(weights)] + [(f"biases[{i}]", b) for i, b in enumerate(biases)]
    return [*named, ("x", x), ("y", y)]


def _described(error: BaseException) -> dict[str, Any]:
    """An exception as data: its type, its message, SystemExit's code, and the last line of your code it passed."""
    where = ""
    with contextlib.suppress(Exception):
        every = traceback.extract_tb(error.__traceback__)
        frames = [f for f in every if not _ours(f.filename)] or [f for f in every if f.filename != __file__]
        if frames:
            name = frames[-1].filename
            relative = os.path.relpath(name)
            where = f"{name if relative.startswith('..') else relative}:{frames[-1].lineno}"
    described: dict[str, Any] = {"error": type(error).__name__, "message": wire.said(error), "where": where}
    if isinstance(error, SystemExit):
        described["code"] = error.code if isinstance(error.code, (int, type(None))) else str(error.code)[: wire.TEXT]
    return described


def _ours(filename: str) -> bool:
    """Frames that are not your code: this module, the import machinery, the standard library and installed packages."""
    return filename == __file__ or filename.startswith(("<frozen", *_LIBRARIES)) or "importlib" in filename


def _libraries() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple({paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths})


_LIBRARIES = _libraries()


def _loaded(target: tuple[Any, ...]) -> Any:
    """Your function, as the checker named it: ("import", module, name), ("pickled", bytes), or ("file", path,
    name) for a submission (a module's file, a package's folder or a Jupyter notebook: `loaded_file`)."""
    if target[0] == "pickled":
        return pickle.loads(target[1])
    _, where, name = target[:3]
    if target[0] == "file" and len(target) > 3 and target[3]:
        sys.path.insert(0, str(target[3]))  # a multi-file submission: its helper modules import by name
    value: Any = loaded_file(str(where)) if target[0] == "file" else importlib.import_module(str(where))
    for part in str(name).split("."):
        if not hasattr(value, part) and target[0] == "file":
            raise AttributeError(f"{where} defines no {name}")
        value = getattr(value, part)
    return value


_FILES: dict[str, Any] = {}
"""The submissions loaded in this process, by path (a backward pass and an update from one file share it)."""


def loaded_file(path: str) -> Any:
    """The module a submission defines: a .py file or a package folder imported under a name of its own (never
    __main__, so a script's `if __name__ == '__main__':` block does not run), or a notebook whose code cells run
    in order in a fresh module (lines of IPython magic, % and !, skipped); a cell that raises is noted in the
    module's `__crosscheck_notes__` and the cells after it still run, as a notebook's Run All would not."""
    path = os.path.abspath(path)
    if path in _FILES:
        return _FILES[path]
    name = f"crosscheck_submission_{len(_FILES)}"
    if path.endswith(".ipynb"):
        module = type(sys)(name)
        module.__file__ = path
        module.__crosscheck_notes__ = []  # type: ignore[attr-defined]
        sys.modules[name] = module
        _FILES[path] = module
        _run_cells(path, module)
        return module
    package = os.path.isdir(path)
    location = os.path.join(path, "__init__.py") if package else path
    spec = importlib.util.spec_from_file_location(name, location, submodule_search_locations=[path] if package else None)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is neither a .py file, a package folder nor a notebook")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    _FILES[path] = module
    spec.loader.exec_module(module)
    return module


def _run_cells(path: str, module: Any) -> None:
    """A notebook's code cells, in order, in `module`'s namespace (nbformat's JSON read with the standard library)."""
    with open(path, encoding="utf-8") as f:
        notebook = json.load(f)
    cells = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    for number, cell in enumerate(cells, start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        kept = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        try:
            exec(compile(kept, f"{path} [cell {number}]", "exec"), module.__dict__)
        except BaseException as error:  # a cell that fails is part of your report; the cells after it still run
            said = wire.said(error)
            module.__crosscheck_notes__.append(
                f"code cell {number} of {os.path.basename(path)} raised {type(error).__name__}"
                f"{': ' + said if said else ''} (the cells after it ran)"
            )


def _flush() -> None:
    """What your code printed, out to the file the checker reads (even if it replaced sys.stdout)."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()  # type: ignore[union-attr]


def _limit_memory(megabytes: float | None) -> None:
    """RLIMIT_AS, the address space this process may map, when a limit is set."""
    if megabytes is None:
        return
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        limit = int(megabytes * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _watch_parent(parent: int, fd: int) -> None:
    """End this process when the checker is gone, even while your code runs: its parent changes, or (contained,
    where the parent is outside this process's PID namespace) the checker's end of the channel closes."""
    import select

    watch = select.poll()
    watch.register(fd, select.POLLRDHUP)
    while os.getppid() == parent:
        with contextlib.suppress(OSError):
            if any(events & (select.POLLRDHUP | select.POLLHUP) for _, events in watch.poll(500)):
                break
    os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
