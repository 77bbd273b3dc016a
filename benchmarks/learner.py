"""A learner's loop, timed: `verify` and `check_implementation` from start to verdict, each run in a
fresh process, in turns over several rounds (medians), so that a slow spell of the shared machine
falls on every contender alike.

    python benchmarks/learner.py [--rounds 5] [--against COMMIT]

* isolation: check_implementation on examples/columns.py at its defaults (1,000 cases per dtype),
  your code in its own process (the default) against in this process (isolate=False);
* verify: `python -m crosscheck verify examples.columns:backprop --convention columns` at this
  checkout and, with --against, at another commit (a temporary git worktree), same machine, same run;
* a learner's MLP (examples/mlp.py: tanh, softmax + cross-entropy on labels, L2, an update): its
  docstring's command to "agrees" (exit 0), and the same command on its slipped twin to the named
  slip (exit 1).

JAX's persistent compilation cache is pointed at a fresh empty folder for every run: each run pays
its compilations, as a first run on a new machine does, and nothing one run leaves helps the next.
`benchmarks/run.py` prints these tables (section 2d) and writes them to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

API = """
import sys
from crosscheck.verify import check_implementation
from examples import columns
result = check_implementation(columns.backprop, isolate={isolate})
sys.exit(0 if result.ok else 1)
"""
VERIFY = ["-m", "crosscheck", "verify", "examples.columns:backprop", "--convention", "columns"]


def mlp_command(slipped: bool = False) -> list[str]:
    """examples/mlp.py's verify command, as its docstring prints it (on `backprop_slipped` when slipped)."""
    import shlex

    with open(os.path.join(ROOT, "examples", "mlp.py")) as f:
        text = re.sub(r"\\+\n\s*", " ", f.read().split('"""')[1])
    line = next(line for line in text.splitlines() if line.strip().startswith("python -m crosscheck verify"))
    args = shlex.split(line)[1:]
    return [a.replace("mlp:backprop", "mlp:backprop_slipped") for a in args] if slipped else args


def wall(checkout: str, args: list[str], status: int = 0, kept: str | None = None) -> float:
    """Seconds from start to exit of `python ARGS` at `checkout`, in a fresh process with a cold JAX cache (or the
    cache folder `kept`, warm from earlier runs); it must exit with `status`."""
    with contextlib.ExitStack() as stack:
        cache = kept or stack.enter_context(tempfile.TemporaryDirectory())
        env = {**os.environ, "PYTHONPATH": checkout, "JAX_COMPILATION_CACHE_DIR": cache, "CROSSCHECK_JAX_CACHE": cache}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, *args], cwd=checkout, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if done.returncode != status:
        raise RuntimeError(f"{args} at {checkout} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def in_turns(contenders: dict[str, tuple[str, list[str]]], rounds: int) -> dict[str, list[float]]:
    """Each contender (checkout, args) once per round, in turns; the seconds of each run."""
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (checkout, args) in contenders.items():
            seconds[name].append(wall(checkout, args))
    return seconds


def learner_rows(rounds: int) -> tuple[list[tuple[str, str]], dict[str, float]]:
    """A learner's loop from start to verdict, each command in a fresh process, in turns: the first run of each
    with an empty JAX cache (a new machine), then `rounds` more with the cache that run left (the learner's next
    try, as the default cache keeps it). The medians of the warm runs are the targets' figures ("columns",
    "mlp agrees", "mlp slip")."""
    contenders = {
        "columns": ("verify examples.columns:backprop --convention columns (exit 0)", VERIFY, 0),
        "mlp agrees": ("examples/mlp.py's command on its MLP (exit 0)", mlp_command(), 0),
        "mlp slip": ("the same on its slipped twin, BP2 named (exit 1)", mlp_command(slipped=True), 1),
    }
    seconds: dict[str, list[float]] = {key: [] for key in contenders}
    with contextlib.ExitStack() as stack:
        caches = {key: stack.enter_context(tempfile.TemporaryDirectory()) for key in contenders}
        for _ in range(rounds + 1):
            for key, (_, args, status) in contenders.items():
                seconds[key].append(wall(ROOT, args, status, kept=caches[key]))
    medians = {key: float(np.median(s[1:])) for key, s in seconds.items()}
    rows = [
        (
            f"{name}: first run (empty JAX cache); median of the next {rounds} (each)",
            f"{seconds[key][0]:.1f} s; {medians[key]:.1f} s ({', '.join(f'{s:.1f}' for s in seconds[key][1:])})",
        )
        for key, (name, _, _) in contenders.items()
    ]
    return rows, medians


@contextlib.contextmanager
def worktree(commit: str) -> Iterator[str]:
    """A temporary checkout of `commit` (git worktree), removed after."""
    folder = tempfile.mkdtemp(prefix="crosscheck-against-")
    subprocess.run(["git", "worktree", "add", "--detach", "--force", folder, commit], cwd=ROOT, check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", folder], cwd=ROOT, capture_output=True)


def isolation_rows(rounds: int, against: str | None) -> tuple[list[tuple[str, str]], dict[str, float]]:
    """The tables' rows, and the ratios the targets are judged on ("isolated / in-process", "verify / against")."""
    contenders = {
        "check_implementation, your code in its own process (default)": (ROOT, ["-c", API.format(isolate=True)]),
        "check_implementation, isolate=False (in this process)": (ROOT, ["-c", API.format(isolate=False)]),
        "verify examples.columns:backprop --convention columns, this checkout": (ROOT, VERIFY),
    }
    with contextlib.ExitStack() as stack:
        if against:
            contenders[f"the same verify at {against}"] = (stack.enter_context(worktree(against)), VERIFY)
        seconds = in_turns(contenders, rounds)
    medians = {name: float(np.median(s)) for name, s in seconds.items()}
    names = list(contenders)
    ratios = {"isolated / in-process": medians[names[0]] / medians[names[1]]}
    rows = [(f"{name} (median of {rounds})", f"{medians[name]:.2f} s") for name in names]
    rows.append(
        ("  isolated / in-process, each round", ", ".join(f"{a / b:.2f}" for a, b in zip(seconds[names[0]], seconds[names[1]])))
    )
    if against:
        ratios["verify / against"] = medians[names[2]] / medians[names[3]]
        each = ", ".join(f"{a / b:.2f}" for a, b in zip(seconds[names[2]], seconds[names[3]]))
        rows.append((f"  this verify / at {against}, each round", each))
    rows += [(name, f"{ratio:.3f}") for name, ratio in ratios.items()]
    return rows, ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", metavar="COMMIT", help="also time verify at this commit (a temporary git worktree)")
    args = parser.parse_args()
    print_rows(isolation_rows(args.rounds, args.against)[0])
    return 0


def print_rows(rows: list[tuple[str, str]]) -> None:
    """A table's rows, names aligned."""
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


if __name__ == "__main__":
    raise SystemExit(main())
