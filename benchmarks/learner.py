"""A learner's loop, timed: `verify` and `check_implementation` from start to verdict, each run in a
fresh process, in turns over several rounds (medians), so that a slow spell of the shared machine
falls on every contender alike.

    python benchmarks/learner.py [--rounds 5] [--against COMMIT]

* isolation: check_implementation on examples/columns.py at its defaults (1,000 cases per dtype),
  your code in its own process (the default) against in this process (isolate=False);
* verify: `python -m crosscheck verify examples.columns:backprop --convention columns` at this
  checkout and, with --against, at another commit (a temporary git worktree), same machine, same run.

JAX's persistent compilation cache is pointed at a fresh empty folder for every run: each run pays
its compilations, as a first run on a new machine does, and nothing one run leaves helps the next.
`benchmarks/run.py` prints these tables (section 2d) and writes them to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
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


def wall(checkout: str, args: list[str]) -> float:
    """Seconds from start to exit of `python ARGS` at `checkout`, in a fresh process with a cold JAX cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": checkout, "JAX_COMPILATION_CACHE_DIR": cache, "CROSSCHECK_JAX_CACHE": cache}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, *args], cwd=checkout, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{args} at {checkout} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def in_turns(contenders: dict[str, tuple[str, list[str]]], rounds: int) -> dict[str, list[float]]:
    """Each contender (checkout, args) once per round, in turns; the seconds of each run."""
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (checkout, args) in contenders.items():
            seconds[name].append(wall(checkout, args))
    return seconds


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
    rows, _ = isolation_rows(args.rounds, args.against)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
