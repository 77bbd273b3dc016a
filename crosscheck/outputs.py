"""Where the command line's results go: every output path is checked when the options are
parsed (before any work), and written at the end, never lost and never misplaced.

* A regular file (or a path not there yet) is written atomically: a temporary file beside it,
  then a rename (a reader sees the old file or the new one). A stop removes what the run wrote.
* A FIFO, a character device (/dev/null, a terminal) or one of this process's own streams
  (/dev/stdout, /dev/fd/1) is written in place, appended, and never replaced: a FIFO stays a
  FIFO, and `--json /dev/stdout` adds to what was printed rather than truncating it.
* A folder, a block device or a socket is refused when the options are parsed (exit 2), and so
  is a name too long for its file system, a folder that cannot be written, and two options
  naming the same file.
* A write that fails all the same at the end (a full disk, a folder made read-only during the
  run, a FIFO nobody reads) is `Unwritable`: one line naming the file and the reason, exit 2.

Only the standard library is imported.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from crosscheck import stops

STREAMS = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/")
"""Paths that name this process's own streams: written in place (their target is not ours to replace)."""
INPUTS = ("/dev/stdin", "/dev/fd/0", "/proc/self/fd/0")
"""Paths that name this process's standard input: refused (through them, the file it reads would be overwritten)."""


@dataclass(frozen=True)
class Output:
    """An output file as checked at parse time: its path, and whether it is written in place."""

    path: Path
    in_place: bool = False

    def __str__(self) -> str:
        return str(self.path)


class Refused(ValueError):
    """An output path that cannot be written: the reason, as one line."""


class Unwritable(OSError):
    """A write that failed at the end: the file and the reason, as one line."""


def output_file(text: str) -> Output:
    """An output file that can be written, checked now (before any code of yours runs); Refused if not."""
    if not text:
        raise Refused("an empty path")
    absolute = os.path.abspath(text)
    if absolute in INPUTS:
        raise Refused(f"{text}: is this process's standard input, not an output (the file it reads would be overwritten)")
    if absolute.startswith(STREAMS):
        return Output(Path(absolute), in_place=True)
    path = Path(absolute)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0  # not there yet (or not reachable: _room says why)
    if stat.S_ISDIR(mode):
        raise Refused(f"{text}: is a folder, not a file")
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return Output(path, in_place=True)
    if mode and not stat.S_ISREG(mode):
        raise Refused(f"{text}: is neither a regular file, a FIFO nor a character device; nothing is written there")
    _room(path, text, folder=False)
    return Output(path.resolve())


def output_folder(text: str) -> Path:
    """An output folder that can be written (made at the end if it is not there), checked now."""
    if not text:
        raise Refused("an empty path")
    path = Path(os.path.abspath(text))
    if path.exists() and not path.is_dir():
        raise Refused(f"{text}: is not a folder")
    _room(path, text, folder=True)
    return path.resolve()


def _room(path: Path, text: str, folder: bool) -> None:
    """The nearest folder that exists above `path` can be written, and the names fit its file system
    (`text`: the path as given, for the message)."""
    ancestor = path if folder and path.exists() else path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    shown = os.path.relpath(ancestor) if not text.startswith("/") else str(ancestor)
    if not ancestor.is_dir():
        raise Refused(f"{text}: cannot write there, {shown} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise Refused(f"{text}: cannot write there, {shown} is not writable")
    longest = _limit(ancestor, "PC_NAME_MAX", 255)
    for part in path.relative_to(ancestor).parts if path != ancestor else ():
        if len(part.encode()) > longest:
            raise Refused(f"{text}: a name of {len(part.encode())} bytes, longer than the {longest} its file system allows")
    if len(str(path).encode()) >= _limit(ancestor, "PC_PATH_MAX", 4096):
        raise Refused(f"{text}: the path is longer than its file system allows")


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return int(os.pathconf(folder, name))
    except (OSError, ValueError):
        return default


def same_file(outputs: dict[str, Output | Path | None]) -> str | None:
    """Two options that name the same file: the sentence that says which, or None."""
    seen: dict[str, str] = {}
    for option, output in outputs.items():
        if output is None:
            continue
        key = str(output)
        if key in seen:
            return f"{seen[key]} and {option} name the same file, {key}: each output needs its own"
        seen[key] = option
    return None


def write(output: Output, data: bytes) -> None:
    """`data` at `output`, atomically or in place (see the module); Unwritable when it cannot be."""
    try:
        if output.in_place or _special(output.path):
            _in_place(output.path, data)
        else:
            _atomic(output.path, data)
    except OSError as error:
        reason = "no process is reading the FIFO" if error.errno == errno.ENXIO else (error.strerror or str(error))
        raise Unwritable(f"could not write {output.path}: {reason}") from None


def _special(path: Path) -> bool:
    """Whether `path` is now a FIFO or a character device (made there during the run): written in place, never
    replaced. Anything else that is not a regular file (a folder, a socket) is refused by the write."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISDIR(mode) or stat.S_ISSOCK(mode) or stat.S_ISBLK(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "a special file"
        raise IsADirectoryError(errno.EISDIR, f"it became {what} during the run")
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _in_place(path: Path, data: bytes) -> None:
    # O_NONBLOCK: a FIFO with no reader is refused (ENXIO) instead of waiting for one forever.
    handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
    try:
        os.set_blocking(handle, True)
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def atomic_write(path: Path, data: bytes | str, *, kept: bool = False) -> None:
    """`data` (text as UTF-8) at `path`, atomically; a stop of the run removes it, unless `kept` (a finished
    grade, which outlives the run that wrote it)."""
    _atomic(path, data.encode() if isinstance(data, str) else data, kept=kept)


def _atomic(path: Path, data: bytes, *, kept: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".crosscheck-", suffix=".tmp")  # short: any name fits
    stops.WRITING.append(temporary)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 would survive the rename
        os.replace(temporary, path)
        if not kept:
            stops.WRITING.append(str(path))  # written: a stop from here on removes it
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        stops.WRITING.remove(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale(output: Output | None) -> None:
    """An earlier run's file at `output` removed (a regular file only: nothing in place is touched),
    so that a run that fails or is stopped leaves no file that looks like its result."""
    if output is not None and not output.in_place:
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(output.path).st_mode):
                os.unlink(output.path)


OPTIONS = ("--json", "--markdown")
"""The options that name a result file."""


def remove_stale_given(argv: list[str]) -> None:
    """The result files named on a command line (`--json PATH`, `--markdown=PATH`) removed, before the line is
    parsed: a run stopped at any moment leaves no earlier verdict there (regular files only, never through a link)."""
    for i, word in enumerate(argv):
        option, equals, value = word.partition("=")
        if option in OPTIONS:
            path = value if equals else (argv[i + 1] if i + 1 < len(argv) else "")
            if path:
                remove_stale(Output(Path(os.path.abspath(path))))
