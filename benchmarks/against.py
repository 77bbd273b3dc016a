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
from crosscheck.strategies import build_arrays
from reference import Network
rng = np.random.default_rng(0)
cases = []
for _ in range({count}):
    depth = int(rng.integers(1, 6)); sizes = [int(n) for n in rng.integers(1, 9, size=depth + 1)]; N = int(rng.integers(1, 9))
    W, b, x, y = build_arrays(rng, sizes, N, np.float64, "sigmoid", "sigmoid", "quadratic", [1.0] * depth, 1.0, False)
    cases.append(Case(Network(W, b), x, y))
check_cases(cases[:200])
start = time.perf_counter(); result = check_cases(cases); seconds = time.perf_counter() - start
assert result.ok
print(len(cases) / seconds)
"""


def run(checkout: str, count: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": checkout}
    rate = subprocess.run(
        [sys.executable, "-c", RATE.format(count=count)], env=env, cwd=checkout, capture_output=True, text=True, check=True
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
    for _ in range(args.rounds):
        for name, checkout in checkouts.items():
            for key, value in run(checkout, args.cases).items():
                figures[name].setdefault(key, []).append(value)
    keys = list(figures["this"])
    print(f"{'':28}" + "".join(f"{name + ' (' + path + ')':>44}" for name, path in checkouts.items()))
    for key in keys:
        print(f"{key:28}" + "".join(f"{'  '.join(f'{v:,.1f}' for v in figures[name][key]):>44}" for name in checkouts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
