"""A submission's process contained by the operating system (docs/DESIGN.md, "Grading a class: what is
contained").

`grade` runs each submission's code in a child process (`crosscheck.isolation`) started under
`unshare(1)` with new user, PID, mount, network and IPC namespaces. Before the submission is loaded, the
child (`seal`, run in it) takes these steps, then gives up the privileges it used for them:

* a tmpfs of `Cage.file_mib` MiB is mounted on a scratch folder, the submission (its file or its folder)
  is copied into it, and it is loaded from the copy, with the scratch folder as its working directory,
  HOME and TMPDIR;
* each folder of `Cage.hide` (the class's folder: the other submissions and the assignment, with its
  seed) is covered by an empty read-only tmpfs;
* every other mount is remounted read-only;
* the process joins a pids cgroup of `Cage.processes` processes when the grader may make one (as root,
  cgroup v1's pids controller), and sets RLIMIT_NPROC, RLIMIT_CPU (`Cage.cpu_seconds`), RLIMIT_FSIZE
  and RLIMIT_CORE;
* it enters a further user namespace, so it holds no capability over the mounts and namespaces above,
  and sets no_new_privs.

So the submission can signal only processes of its own PID namespace (its parent, the grader, is not
in it: `os.getppid()` is 0 there, and the first process of the namespace ignores the signals its own
namespace sends it), write only its scratch copy, reach no network (not the Dask scheduler either) and
see no other submission. When the child is killed, every process the submission started dies with its
namespace. What is not contained: CPU and memory bandwidth (a submission can slow its neighbours), the
memory of the machine beyond RLIMIT_AS per process, and reading what the machine's other files let any
process read.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

UNSHARE = (
    "unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount",
    "--propagation", "private", "--mount-proc", "--net", "--ipc",
)  # fmt: skip
"""The command that starts a contained child: new user, PID, mount, network and IPC namespaces."""
CGROUP = "/sys/fs/cgroup/pids"
"""cgroup v1's pids controller, where the grader (as root) makes one group per contained child."""


@dataclass(frozen=True)
class Cage:
    """What a contained child may do: the folders hidden from it, and its limits."""

    hide: tuple[str, ...] = ()
    """Folders covered by an empty read-only tmpfs (the class's folder)."""
    cpu_seconds: int = 900
    """RLIMIT_CPU of the child process: its CPU time over every call (the wall time of each is the time limit)."""
    file_mib: int = 64
    """The scratch tmpfs's size and RLIMIT_FSIZE: how much the submission can write."""
    processes: int = 64
    """Processes and threads at once (the pids cgroup, RLIMIT_NPROC)."""


class Uncontained(RuntimeError):
    """Containment is not available here: the message says why and what it needs."""


@functools.cache
def unavailable() -> str:
    """Why a child cannot be contained on this machine ("" when it can): a contained child is started and seals
    itself, as a submission's would."""
    if not sys.platform.startswith("linux"):
        return "containment needs Linux's namespaces (this is " + sys.platform + ")"
    if shutil.which(UNSHARE[0]) is None:
        return "containment needs unshare(1) (util-linux)"
    scratch = tempfile.mkdtemp(prefix="crosscheck-cage-")
    try:
        cage = {"scratch": scratch, "hide": [], "cgroup": "", "cpu": 10, "file_mib": 1, "processes": 64}
        code = f"from crosscheck.containment import seal; seal({cage!r}, {{}}); open('x', 'w').write('ok')"
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        done = subprocess.run([*UNSHARE, sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    except (OSError, subprocess.SubprocessError) as error:
        return f"containment could not start a contained process ({type(error).__name__}: {error})"
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(scratch)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"this machine does not let a process make its own namespaces ({lines[-1] if lines else done.returncode})"
    return ""


_COUNT = itertools.count()


def prepared(cage: Cage) -> tuple[dict[str, Any], Any]:
    """On the grader's side, before a contained child starts: its scratch folder and cgroup (when one can be
    made), as the message the child seals itself with, and what removes them once it has ended."""
    if unavailable():
        raise Uncontained(unavailable())
    scratch = tempfile.mkdtemp(prefix="crosscheck-scratch-")
    os.chmod(scratch, 0o755)
    group = ""
    if os.geteuid() == 0 and os.access(CGROUP, os.W_OK):
        candidate = os.path.join(CGROUP, f"crosscheck-{os.getpid()}-{next(_COUNT)}")
        try:
            os.mkdir(candidate)
            with open(os.path.join(candidate, "pids.max"), "w") as f:
                f.write(f"{cage.processes}\n")
            group = candidate
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(candidate)
    message = {"scratch": scratch, "hide": list(cage.hide), "cgroup": group, "cpu": cage.cpu_seconds}
    message |= {"file_mib": cage.file_mib, "processes": cage.processes}
    return message, functools.partial(_removed, scratch, group)


def _removed(scratch: str, group: str) -> None:
    """The scratch folder (an empty mount point out here) and the cgroup, removed once the child has ended."""
    with contextlib.suppress(OSError):
        os.rmdir(scratch)
    if group:
        for _ in range(50):  # the namespace's processes die as its first one is reaped: a moment at most
            try:
                os.rmdir(group)
                return
            except OSError:
                import time

                time.sleep(0.02)


# --- in the child -------------------------------------------------------------------------------------
_MS = {"ro": 1, "nosuid": 2, "nodev": 4, "noexec": 8, "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND = 1, 2, 4, 32, 4096
CLONE_NEWUSER = 0x10000000
PR_SET_NO_NEW_PRIVS = 38


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc: Any, source: str | None, target: str, kind: str | None, flags: int, data: str | None) -> None:
    encoded = [None if s is None else s.encode() for s in (source, target, kind, data)]
    if libc.mount(encoded[0], encoded[1], encoded[2], flags, encoded[3]) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount of {target}: {os.strerror(error)}")


def seal(cage: dict[str, Any], targets: dict[str, Any]) -> dict[str, Any]:
    """In the contained child, before your code is loaded: the steps of the module's list. The targets given back
    load the scratch copies of the submissions named in `targets`. Any step that fails raises: a child that is
    not contained never loads your code."""
    import resource

    os.setsid()  # a session of its own inside the namespace: its first group held unshare(1), outside it
    libc = _libc()
    scratch = cage["scratch"]
    _mount(libc, "tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(cage['file_mib'])}m,mode=0777")
    copies: dict[str, str] = {}
    moved = {}
    for role, target in targets.items():
        if target[0] == "file":
            home = os.path.abspath(str(target[3])) if len(target) > 3 and target[3] else ""
            source = home or os.path.abspath(str(target[1]))  # a multi-file submission's folder comes whole
            if source not in copies:
                copies[source] = os.path.join(scratch, "submission", os.path.basename(source))
                os.makedirs(os.path.dirname(copies[source]), exist_ok=True)
                if os.path.isdir(source):
                    shutil.copytree(source, copies[source], symlinks=True)
                else:
                    shutil.copy2(source, copies[source])
            inside = os.path.relpath(os.path.abspath(str(target[1])), home) if home else ""
            path = os.path.join(copies[source], inside) if home else copies[source]
            moved[role] = ("file", path, target[2], copies[source] if home else "")
        else:
            moved[role] = target
    hidden = [os.path.abspath(h) for h in cage["hide"]]
    for folder in hidden:
        _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0555")
    if cage["cgroup"]:
        with open(os.path.join(cage["cgroup"], "cgroup.procs"), "w") as f:
            f.write("0\n")
    _read_only(libc, keep={scratch, *hidden})
    if libc.unshare(CLONE_NEWUSER) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"unshare(CLONE_NEWUSER): {os.strerror(error)}")
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    file_bytes = int(cage["file_mib"]) << 20
    for limit, value in (
        (resource.RLIMIT_CPU, int(cage["cpu"])),
        (resource.RLIMIT_FSIZE, file_bytes),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, int(cage["processes"])),
    ):
        resource.setrlimit(limit, (value, value))
    for name in ("HOME", "TMPDIR"):
        os.environ[name] = scratch
    tempfile.tempdir = None
    os.chdir(scratch)
    for folder in {os.path.dirname(c) for c in copies.values()}:
        sys.path.insert(0, folder)
    return moved


def _read_only(libc: Any, keep: set[str]) -> None:
    """Every mount but `keep` remounted read-only (its other flags kept: a user namespace may not drop them)."""
    with open("/proc/self/mountinfo") as f:
        lines = f.read().splitlines()
    seen = set(keep)
    for line in reversed(lines):  # the last mounted first: the one on top of a mount point is the one seen
        fields = line.split()
        target = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
        if target in seen:
            continue
        seen.add(target)
        options = fields[5].split(",")
        if "ro" in options:
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for option in options:
            flags |= _MS.get(option, 0)
        _mount(libc, None, target, None, flags, None)
