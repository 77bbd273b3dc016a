"""Time check_cases and the certificate at this checkout and at another one, in turns.

    python benchmarks/against.py OTHER_CHECKOUT [--rounds 2] [--cases 2000]

For a refactoring that must not slow the pipeline down: each round runs, at each
checkout in turn (fresh processes, PYTHONPATH pointing at the checkout), `check_cases`
on the benchmark workload (after warm-up) and the certificate (`python -m crosscheck
--quiet --json ...`, whose JSON gives the seconds per stage). Taking turns puts a slow
spell of a shared machine on both alike. An older checkout's `check_cases` is found
where it lived (`crosscheck.many`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RATE = """
import time, numpy as np
try:
    from crosscheck import check_cases
except ImportError:
    from crosscheck.many import check_cases
from crosscheck.case import Case
from reference import Network
saved = np.load({path!r})
cases = []
for i in range(int(saved["count"])):
    depth = int(saved[f"{{i}} depth"])
    W = [saved[f"{{i}} W{{l}}"] for l in range(depth)]
    b = [saved[f"{{i}} b{{l}}"] for l in range(depth)]
    cases.append(Case(Network(W, b), saved[f"{{i}} x"], saved[f"{{i}} y"]))
check_cases(cases[:200])
start = time.perf_counter(); result = check_cases(cases); seconds = time.perf_counter() - start
assert result.ok
print(len(cases) / seconds)
"""


def save_workload(count: int, path: str) -> None:
    """The benchmark workload (`benchmarks/run.workload`, drawn by this checkout's strategies) as plain arrays,
    so that both checkouts time the very same cases whatever their own strategies look like."""
    sys.path.insert(0, HERE)
    sys.path.insert(0, os.path.join(HERE, "benchmarks"))
    from run import workload

    arrays: dict[str, object] = {"count": count}
    for i, case in enumerate(workload(count)):
        arrays[f"{i} depth"] = len(case.network.weights)
        arrays |= {f"{i} W{l}": W for l, W in enumerate(case.network.weights)}
        arrays |= {f"{i} b{l}": b for l, b in enumerate(case.network.biases)}
        arrays[f"{i} x"], arrays[f"{i} y"] = case.x, case.y
    import numpy as np

    np.savez(path, **arrays)  # type: ignore[arg-type]


def run(checkout: str, workload_path: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": checkout}
    rate = subprocess.run(
        [sys.executable, "-c", RATE.format(path=workload_path)], env=env, cwd=checkout, capture_output=True, text=True, check=True
    )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "certificate.json")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "crosscheck", "--quiet", "--json", path],
            env=env,
            cwd=checkout,
            capture_output=True,
            check=True,
        )
        wall = time.perf_counter() - start
        with open(path) as f:
            seconds = json.load(f)["seconds"]
    return {
        "check_cases cases/s": float(rate.stdout.split()[-1]),
        "certificate wall s": wall,
        **{f"certificate {k} s": v for k, v in seconds.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", help="the other checkout (a git worktree of the older commit)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    checkouts = {"this": HERE, "other": os.path.abspath(args.other)}
    figures: dict[str, dict[str, list[float]]] = {name: {} for name in checkouts}
    with tempfile.TemporaryDirectory() as folder:
        workload_path = os.path.join(folder, "workload.npz")
        save_workload(args.cases, workload_path)
        for _ in range(args.rounds):
            for name, checkout in checkouts.items():
                for key, value in run(checkout, workload_path).items():
                    figures[name].setdefault(key, []).append(value)
    keys = list(figures["this"])
    print(f"{'':28}" + "".join(f"{name + ' (' + path + ')':>44}" for name, path in checkouts.items()))
    for key in keys:
        print(f"{key:28}" + "".join(f"{'  '.join(f'{v:,.1f}' for v in figures[name][key]):>44}" for name in checkouts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
