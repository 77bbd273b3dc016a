"""Each hostile row, alone, at a revision and at this tree (issue 41's "each row fails on main at 4f06f4c").

    python benchmarks/hostile.py [--at REV] [--rows NAME ...]

`benchmarks/run.py --hostile REV` prints this table (section 5b) and writes it to benchmarks/RESULTS.md.

tests/test_contained.py grades every row of its HOSTILE table in one class, as CI runs it. Here each row is graded
in a class of its own (the row and the test's two other students, zed right and zoe with a BP1 slip), by the code
of `REV` (taken with `git archive`) and by this tree, and judged by the test's own conditions, restricted to that
row: `grade` exits 0; zed's and zoe's grades are those of the same revision's class without the row; the row gets
its own grade; the class's files are unchanged; nothing it started is left running; and `--resume` grades no
student the first run did not. The revision's runs are made inside a PID and user namespace of their own
(`unshare`), so that what an uncontained revision lets a row do (kill every process it may signal) stays inside
it; this tree's runs are made as the test makes them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

FENCE = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount-proc"]
"""Where the revision's runs are made: what its code lets a row kill is inside this namespace."""
LEFT = "sleep 613"
"""The daemon a row starts (tests/test_contained.py): running after `grade` ends means it outlived its grading."""


def _tree(rev: str, into: Path) -> Path:
    """The files of `rev` (committed), unpacked into `into`."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _grade(code: Path, folder: Path, out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "crosscheck", "grade", str(folder), "--out", str(out), "--quiet", *more]
    if code != ROOT:  # this tree contains its submissions itself, and runs as the test runs it
        # the namespace's end would kill what a row left running: look for it first, from inside
        command = [
            *FENCE,
            "sh",
            "-c",
            f'"$@"; rc=$?; pgrep -f "^{LEFT}" >/dev/null && echo "{LEFT}" >&2; exit $rc',
            "sh",
            *command,
        ]
    return subprocess.run(command, cwd=folder.parent, env=env, capture_output=True, text=True, timeout=900)


def _rows(out: Path) -> dict[str, dict[str, str]]:
    path = out / "grades.csv"
    return {r["student"]: r for r in csv.DictReader(path.read_text().splitlines())} if path.exists() else {}


def _reports(out: Path) -> dict[str, str]:
    path = out / "grades.json"
    if not path.exists():
        return {}
    return {r["student"]: r.get("report", "") for r in json.loads(path.read_text())["students"]}


def _own_grade(row: dict[str, str] | None, grade: str, report: str) -> str:
    """What is wrong with the row's own grade against the test's ("full", a report's words, or an equation)."""
    if row is None:
        return "its own row: none"
    if grade == "full":
        full = row["status"] == "graded" and row["score"] == row["max_score"]
        return "" if full else f"its own grade: {row['score']} of {row['max_score']} ({row['status']}), not full marks"
    if grade.startswith("your"):
        said = row["score"] == "0" and grade in report
        return "" if said else f"its own grade: {row['score']}, its report not saying {grade!r}"
    return "" if row.get("equation") == grade else f"its own grade: equation {row.get('equation')!r}, not {grade}"


def judged(code: Path, where: Path, name: str, baseline: dict[str, dict[str, str]]) -> list[str]:
    """What fails of the test's conditions for row `name` graded by `code` (empty: the row passes)."""
    import test_contained as t

    grade = t.HOSTILE[name][1]
    where.mkdir(parents=True)
    folder = where / "class"
    t._class(folder, hostile=False)
    t.add_hostile(folder, name)
    before = t._files(folder)
    done = _grade(code, folder, where / "out", "--workers", "2")
    failed = [] if done.returncode == 0 else [f"grade exited {done.returncode}"]
    rows, reports = _rows(where / "out"), _reports(where / "out")
    same = ("score", "max_score", "status", "equation", "slip")
    for student, want in baseline.items():
        got = rows.get(student)
        if got is None or {k: got.get(k) for k in same} != {k: want[k] for k in same}:
            failed.append(f"{student}: {'no row' if got is None else {k: got.get(k) for k in same}}")
    own = _own_grade(rows.get(f"a_{name}"), grade, reports.get(f"a_{name}", ""))
    failed += [own] if own else []
    if t._files(folder) != before:
        failed.append("the class's folder changed")
    if t._sleepers() or LEFT in done.stderr:
        failed.append("a process it started outlived its grading")
        for pid in t._sleepers():
            os.kill(pid, 9)
    again = _grade(code, folder, where / "out", "--resume")
    new = set(_rows(where / "out")) - set(rows)
    if again.returncode != 0 or new:
        failed.append(f"--resume: exit {again.returncode}" + (f", graded {sorted(new)} anew" if new else ""))
    return failed


def baseline(code: Path, where: Path) -> dict[str, dict[str, str]]:
    """zed's and zoe's grades in a class without any hostile row, graded by `code`."""
    import test_contained as t

    where.mkdir(parents=True)
    done = _grade(code, t._class(where / "alone", hostile=False), where / "alone-out", "--workers", "1")
    if done.returncode != 0:
        raise SystemExit(f"the class without hostile rows did not grade at {code}: {done.stderr[-2000:]}")
    return _rows(where / "alone-out")


def hostile_rows(at: str, names: list[str] | None = None) -> list[tuple[str, str]]:
    """Each row graded alone at `at` and by this tree: (the row, what failed at each, or that it passes)."""
    import test_contained as t

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {at: _tree(at, Path(tmp) / "at"), "this tree": ROOT}
        bases = {label: baseline(code, Path(tmp) / f"base-{k}") for k, (label, code) in enumerate(trees.items())}
        for name in names or list(t.HOSTILE):
            cells = []
            for k, (label, code) in enumerate(trees.items()):
                start = time.perf_counter()
                failed = judged(code, Path(tmp) / f"{name}-{k}", name, bases[label])
                took = time.perf_counter() - start
                cells.append(f"{label}: " + ("passes" if not failed else "FAILS (" + "; ".join(failed) + ")") + f", {took:.0f} s")
            rows.append((name, " / ".join(cells)))
            print(f"| {name} | {rows[-1][1]} |", flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", default="4f06f4c", help="the revision to compare this tree with (default 4f06f4c)")
    parser.add_argument("--rows", nargs="*", help="only these rows of tests/test_contained.HOSTILE")
    args = parser.parse_args()
    print("| row | at the revision / this tree |\n|---|---|")
    hostile_rows(args.at, args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
