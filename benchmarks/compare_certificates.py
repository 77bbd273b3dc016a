"""Whether two certificates' figures are bit-identical: `python benchmarks/compare_certificates.py A.json B.json`.

For a refactoring that must preserve behaviour: run `python -m crosscheck --json A.json` at one checkout and
`--json B.json` at the other (same seed, versions and machine), then this. It compares every figure (cells,
their cases, worst |diff|/tol overall and per layer, counterexamples, the XOR trajectories and their losses,
the mutants' counts of cases drawn) and ignores only what must differ: the code identity, the seconds, the
machine record and the verdict's wording. Exit 0 when all agree, 1 with the first differences listed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

IGNORED = {"code", "seconds", "machine", "verdict"}


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Every path at which `a` and `b` differ (values compared exactly, floats by their repr)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            if not where and key in IGNORED:
                continue
            if key not in a or key not in b:
                found.append(f"{where}/{key}: only in {'the second' if key not in a else 'the first'}")
                continue
            found += differences(a[key], b[key], f"{where}/{key}")
        return found
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items against {len(b)}"]
        return [d for i, (u, v) in enumerate(zip(a, b)) for d in differences(u, v, f"{where}[{i}]")]
    return [] if repr(a) == repr(b) else [f"{where}: {a!r} against {b!r}"]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    first, second = (json.loads(Path(path).read_text()) for path in argv)
    found = differences(first, second)
    figures = sum(len(c["worst_ratio"]) for c in first["cells"])
    if not found:
        print(
            f"bit-identical: {len(first['cells'])} cells ({figures} worst ratios), trajectories, {len(first['mutants'])} mutants"
        )
        return 0
    print(f"{len(found)} differences; the first 20:")
    print("\n".join(found[:20]))
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
