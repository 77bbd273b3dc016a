"""Finding out, measured (issue 40): what probing costs, `verify` with nothing declared against the frameworks'
imports, and the diagnosis of the outside table's slips with nothing declared.

    python benchmarks/found_out.py [--rounds 3]

* probing: `crosscheck.probe.find` on each correct shape of tests/outside.py, in one process, its child already
  loaded (what probing adds to a check: the calls of your code and the loss matching here);
* verify in fresh processes, in turns, with a warm JAX cache: `verify examples.columns:backprop` with nothing
  declared, the same with its declaration, examples/mlp.py's command (a learner's MLP), and `python -c "import
  numpy, torch, jax"` (the floor any check pays);
* the outside table's 48 slips, each checked with nothing declared (40 cases, float64): caught, and named as the
  table says (equation and slip), listed.

`benchmarks/run.py` prints these tables (section 2f) and writes them to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests"), ROOT]

IMPORTS = ["-c", "import numpy, torch, jax"]
NOTHING = ["-m", "crosscheck", "verify", "examples.columns:backprop"]
DECLARED = [*NOTHING, "--convention", "columns", "--activation", "sigmoid", "--loss", "quadratic"]


def probe_rows() -> tuple[list[tuple[str, str]], float]:
    """Seconds `probe.find` takes on each correct outside shape, its child loaded first; the largest."""
    import outside

    from crosscheck import edge, isolation, probe
    from crosscheck.convention import Convention

    rows, most = [], 0.0
    for row in outside.TABLE:
        runner = isolation.Runner({"backward": isolation.shipped(row.make())})
        try:
            case = probe.probe_case(1, None, 4, False, 0)  # one call first: the child loads before the clock starts
            runner.run([[("backward", edge.inputs(case, Convention("columns"), None))]])
            start = time.perf_counter()
            found = probe.find(runner, depths=range(1, 6), outputs=None, names={})
            seconds = time.perf_counter() - start
        finally:
            runner.close()
        most = max(most, seconds)
        said = " ".join(found.options()) if found is not None else "nothing found"
        rows.append((f"probe: {row.name}", f"{seconds:.2f} s ({said})"))
    return rows, most


def verify_rows(rounds: int) -> tuple[list[tuple[str, str]], dict[str, float]]:
    """verify with nothing declared, declared, and the frameworks' imports, fresh processes in turns (warm cache)."""
    from learner import mlp_command, wall

    contenders = {"nothing declared": NOTHING, "declared": DECLARED, "import numpy, torch, jax": IMPORTS}
    contenders["a learner's MLP"] = mlp_command()
    seconds: dict[str, list[float]] = {key: [] for key in contenders}
    with tempfile.TemporaryDirectory() as cache:
        wall(ROOT, NOTHING, kept=cache)  # the JAX cache warmed once: a learner's second try
        for _ in range(rounds):
            for key, args in contenders.items():
                seconds[key].append(wall(ROOT, args, kept=cache))
    medians = {key: float(np.median(s)) for key, s in seconds.items()}
    floor = medians["import numpy, torch, jax"]
    said = {"import numpy, torch, jax": "import numpy, torch, jax", "a learner's MLP": "examples/mlp.py's command"}
    rows = [(said.get(key, f"verify examples.columns:backprop, {key}"), f"{medians[key]:.2f} s") for key in contenders]
    ratios = {
        "nothing declared / imports": medians["nothing declared"] / floor,
        "declared / imports": medians["declared"] / floor,
        "a learner's MLP / imports": medians["a learner's MLP"] / floor,
    }
    ratios["nothing declared - declared (s)"] = medians["nothing declared"] - medians["declared"]
    rows += [(name, f"{value:.2f}") for name, value in ratios.items()]
    return rows, ratios


def slip_rows() -> tuple[list[tuple[str, str]], float]:
    """Each outside slip checked with nothing declared: caught, and named as the table says; the rate named right."""
    import outside

    import crosscheck

    rows, right = [], 0
    for row in outside.TABLE:
        for slip in row.slips:
            result = crosscheck.check_implementation(row.make(slip.name), cases=40, dtypes=("float64",))
            found = result.failure.diagnosis() if result.failure is not None else None
            named = (found.equation, found.keys) if found is not None else (None, ())
            ok = not result.ok and named[0] == slip.equation and (not slip.key or slip.key in named[1])
            right += ok
            said = f"{named[0]}, {', '.join(named[1]) or 'no slip named'}" if found is not None else "no diagnosis"
            verdict = "named right" if ok else ("caught, named otherwise" if not result.ok else "NOT CAUGHT")
            rows.append((f"{row.name}: {slip.name}", f"{verdict} ({said}; the table: {slip.equation}, {slip.key or 'any'})"))
    total = sum(len(row.slips) for row in outside.TABLE)
    rows.append(("named right", f"{right} of {total} ({right / total:.1%})"))
    return rows, right / total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for rows in (probe_rows()[0], verify_rows(args.rounds)[0], slip_rows()[0]):
        for name, value in rows:
            print(f"{name:70} {value}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
