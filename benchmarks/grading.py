"""Grading a class, timed: `python -m crosscheck grade` on a class of 60 submissions, in one run, on 1 and 2 local
workers and on a 2-worker Dask LocalCluster.

    python benchmarks/grading.py [--students 60]

The class is examples/class repeated (its 14 submissions, as ada_1.py, ..., then ada_2.py, ...: 4 correct in
four styles, 8 slips, one that hangs until its time limit, one that exits at import; a notebook and a package
among them) up to the count, graded against examples/class/assignment.toml (200 cases per dtype, every student
on the same cases). Each configuration is the command from start to exit in a fresh process, with a cold JAX
cache (and, for the local workers, the CPU seconds of every process under it: the cores one worker keeps busy
bound what two can gain on this machine); the LocalCluster is started before the clock (an existing cluster, as --scheduler takes), its workers
importing the frameworks on their first submission inside the time. Every submission runs contained (its own
namespaces, `crosscheck.containment`), as `grade` runs it by default. The grades of the three runs are compared:
the same grades at any worker count. `benchmarks/run.py` prints this table (section 5) and writes it to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "examples" / "class"


def class_of(count: int, folder: Path) -> list[str]:
    """`count` submissions in `folder`: the example class's entries in turn, each copy named STUDENT_K."""
    entries = sorted(p for p in CLASS.iterdir() if p.suffix in (".py", ".ipynb") or (p / "__init__.py").exists())
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CLASS / "assignment.toml", folder / "assignment.toml")
    names = []
    for i in range(count):
        source = entries[i % len(entries)]
        name = f"{source.stem}_{i // len(entries) + 1}{source.suffix}"
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / name)
        names.append(name)
    return names


def _cpu() -> float:
    """CPU seconds (user and system) of this process's waited-for children and their descendants so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed_grade(folder: Path, out: Path, extra: list[str]) -> tuple[float, dict[str, float], float]:
    """Seconds from start to exit of `python -m crosscheck grade FOLDER --out OUT EXTRA` (exit 0 expected), each
    student's score, and the CPU seconds the command and every process under it took (its grader processes, each
    submission's contained child)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_COMPILATION_CACHE_DIR": cache, "CROSSCHECK_JAX_CACHE": cache}
        cpu = _cpu()
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "crosscheck", "grade", str(folder), "--out", str(out), *extra],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        cpu = _cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"grade {extra} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    records = json.loads((out / "grades.json").read_text())["students"]
    return seconds, {r["student"]: r["score"] for r in records}, cpu


def grading_rows(students: int) -> tuple[list[tuple[str, str]], dict[str, float]]:
    """The table's rows, and the rates (submissions a minute) by configuration."""
    rows: list[tuple[str, str]] = []
    rates: dict[str, float] = {}
    grades: dict[str, dict[str, float]] = {}
    busy: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        class_of(students, folder)
        configurations: list[tuple[str, list[str] | None]] = [
            ("1 local worker (--workers 1)", ["--workers", "1"]),
            ("2 local workers (--workers 2)", ["--workers", "2"]),
            ("a 2-worker Dask LocalCluster (--scheduler)", None),
        ]
        with contextlib.ExitStack() as stack:
            for i, (name, extra) in enumerate(configurations):
                if extra is None:
                    from crosscheck.certificate.run import local_cluster

                    # its workers' JAX cache: fresh and empty, as each command's is
                    os.environ["JAX_COMPILATION_CACHE_DIR"] = stack.enter_context(tempfile.TemporaryDirectory())
                    cluster = stack.enter_context(local_cluster(2))
                    extra = ["--scheduler", cluster.scheduler_address]
                seconds, grades[name], cpu = timed_grade(folder, Path(tmp) / f"out{i}", extra)
                rates[name] = students / seconds * 60
                busy[name] = cpu / seconds
                said = f"{seconds:.0f} s: {rates[name]:.0f} submissions a minute"
                if extra[0] == "--workers":  # a LocalCluster's workers are not this command's children
                    said += f"; {cpu:.0f} s of CPU, {busy[name]:.2f} cores busy"
                rows.append((f"{students} submissions, {name}", said))
    one, two = (rates[name] for name, _ in configurations[:2])
    speedup = two / one
    verdict = "met" if speedup >= 1.7 else "NOT MET"
    rows.append(("2 local workers over 1 (target >= 1.7x on an idle machine)", f"{speedup:.2f}x ({verdict})"))
    cores, alone = os.cpu_count() or 1, busy[configurations[0][0]]
    rows.append(
        (
            "what bounds it: the cores over those one worker keeps busy (its submissions' children run beside it)",
            f"{cores} / {alone:.2f} = {cores / alone:.2f}x at most",
        )
    )
    first = next(iter(grades.values()))
    same = all(g == first for g in grades.values())
    rows.append(("the same grades in every configuration", "yes" if same else "NO: " + json.dumps(grades)[:500]))
    return rows, rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    args = parser.parse_args()
    from learner import print_rows

    print_rows(grading_rows(args.students)[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
