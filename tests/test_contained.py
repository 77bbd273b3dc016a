"""Grading a class safely (issue 41): a hostile submission is graded as itself, every other student's grade is
what it is without it, and the teacher's folder, the other submissions and the grader's processes are out of its
reach (`crosscheck.containment`)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import framework_available

from crosscheck import containment, grading

ROOT = Path(__file__).resolve().parents[1]
needs_frameworks = pytest.mark.skipif(
    not (framework_available("torch") and framework_available("jax")), reason="grading needs torch and jax"
)
needs_containment = pytest.mark.skipif(bool(containment.unavailable()), reason=containment.unavailable() or "")

RIGHT = """
import numpy as np


def _backprop(weights, biases, x, y, slip=False):
    a, zs = [x], []
    for W, b in zip(weights, biases):
        zs.append(W @ a[-1] + b)
        a.append(1 / (1 + np.exp(-zs[-1])))
    n = x.shape[1]
    delta = (a[-1] - y) * a[-1] * (1 - a[-1]) / n
    if slip:
        delta = (a[-1] - y) / n  # BP1 without σ'
    gw, gb = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        gw[l], gb[l] = delta @ a[l].T, delta.sum(axis=1, keepdims=True)
        if l:
            delta = (weights[l].T @ delta) * a[l] * (1 - a[l])
    return {"loss": 0.5 * np.sum((a[-1] - y) ** 2) / n, "weights": gw, "biases": gb}
"""
"""A correct backward pass (sigmoid, quadratic, columns) every submission here builds on; slip=True drops σ'."""

VICTIMS = {
    "zed_right.py": RIGHT + "\n\ndef backprop(weights, biases, x, y):\n    return _backprop(weights, biases, x, y)\n",
    "zoe_slip.py": RIGHT + "\n\ndef backprop(weights, biases, x, y):\n    return _backprop(weights, biases, x, y, slip=True)\n",
}
"""Two students graded after every hostile one (their names sort last): one right, one with a BP1 slip."""


def _hostile(before: str, during: str = "") -> str:
    body = "".join(f"    {line}\n" for line in during.splitlines())
    head = f"{RIGHT}\nimport os, signal, subprocess, sys\n{before}\n\n"
    return f"{head}def backprop(weights, biases, x, y):\n{body}    return _backprop(weights, biases, x, y)\n"


HOSTILE = {
    # name: (the submission, its own grade: "full" marks, the equation of its own slip, or 0 with its report saying)
    "kills_its_parent": (_hostile("", "os.kill(os.getppid(), signal.SIGKILL)"), "full"),
    "kills_its_parents_group": (  # its group is its own: killpg finds none it may signal, and raises
        _hostile("", "os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)"),
        "your implementation raised ProcessLookupError",
    ),
    "kills_every_process_it_can": (  # none but itself in its PID namespace, and that one ignores it: raises
        _hostile("", "os.kill(-1, signal.SIGKILL)"),
        "your implementation raised ProcessLookupError",
    ),
    "writes_the_teachers_folder": (
        _hostile(
            "",
            "for name in ('planted.py', 'assignment.toml'):\n"
            "    try:\n        open(os.path.join(CLASS, name), 'w').write(PLANT)\n    except OSError:\n        pass",
        ),
        "full",
    ),
    "edits_another_submission": (
        _hostile("", "try:\n    open(os.path.join(CLASS, 'zed_right.py'), 'w').write(BROKEN)\nexcept OSError:\n    pass"),
        "full",
    ),
    "fills_the_disk": (
        _hostile(
            "",
            "try:\n    with open('big', 'wb') as f:\n        for _ in range(4096):\n"
            "            f.write(bytes(1 << 20))\nexcept OSError:\n    pass",
        ),
        "full",
    ),
    "forks_a_daemon": (_hostile("", "subprocess.Popen(['sleep', '613'], start_new_session=True)"), "full"),
    "changes_its_directory": (_hostile("os.chdir('/')"), "full"),
    "empties_sys_path": (_hostile("sys.path[:] = ['/nowhere']"), "full"),
    "patches_the_grader": (
        RIGHT + "\nimport crosscheck.marking, crosscheck.verify, crosscheck.grading\n"
        "crosscheck.marking.scored = lambda *a, **k: []\n"
        "crosscheck.grading.grade_one = lambda *a, **k: {'score': 10}\n\n"
        "def backprop(weights, biases, x, y):\n    return _backprop(weights, biases, x, y, slip=True)\n",
        "BP1",
    ),
}
"""Each a row of issue 41's table: what it does, and the grade it earns by its own code."""

ASSIGNMENT = "cases = 8\ndtypes = ['float64']\nmax_layers = 3\nmax_width = 4\ntime_limit = 5\nmemory_limit = 2048\n"


def _class(folder: Path, hostile: bool) -> Path:
    folder.mkdir()
    (folder / "assignment.toml").write_text(ASSIGNMENT)
    for name, source in VICTIMS.items():
        (folder / name).write_text(source)
    if hostile:
        for name in HOSTILE:
            add_hostile(folder, name)
    return folder


def add_hostile(folder: Path, name: str) -> None:
    """Row `name` of HOSTILE as a_NAME.py in the class `folder`, told where the class is, what to plant there and
    what to overwrite another student's file with."""
    plant = "def backprop(weights, biases, x, y):\n    return None\n"
    header = f"CLASS = {str(folder)!r}\nPLANT = {plant!r}\nBROKEN = {VICTIMS['zoe_slip.py']!r}\n"
    (folder / f"a_{name}.py").write_text(header + HOSTILE[name][0])


def _grade(folder: Path, out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "crosscheck", "grade", str(folder), "--out", str(out), "--quiet", *more]
    return subprocess.run(command, cwd=folder.parent, env=env, capture_output=True, text=True, timeout=900)


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader((out / "grades.csv").read_text().splitlines())}


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _sleepers() -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:2] == [b"sleep", b"613"]:
                found.append(int(pid))
        except OSError:
            continue
    return found


@needs_frameworks
@needs_containment
@pytest.mark.slow
def test_hostile_submissions_are_graded_as_themselves_and_change_no_other_grade(tmp_path):
    """A class holding every row of HOSTILE (graded first, on two workers) gives each its own grade, both other
    students the grade they get in a class without them, exit 0; the class's files are as they were, nothing
    the submissions started is left running, and --resume finds nothing new to grade."""
    alone = _grade(_class(tmp_path / "alone", hostile=False), tmp_path / "alone-out", "--workers", "1")
    assert alone.returncode == 0, alone.stdout + alone.stderr[-3000:]
    folder = _class(tmp_path / "class", hostile=True)
    before = _files(folder)
    done = _grade(folder, tmp_path / "out", "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    rows, baseline = _rows(tmp_path / "out"), _rows(tmp_path / "alone-out")
    reports = {r["student"]: r["report"] for r in json.loads((tmp_path / "out" / "grades.json").read_text())["students"]}
    assert set(rows) == {*baseline, *(f"a_{name}" for name in HOSTILE)}, sorted(rows)
    same = ("score", "max_score", "status", "equation", "slip")
    for student in baseline:
        assert {k: rows[student][k] for k in same} == {k: baseline[student][k] for k in same}, (student, rows[student])
    assert baseline["zed_right"]["score"] == baseline["zed_right"]["max_score"]
    assert baseline["zoe_slip"]["equation"] == "BP1", baseline["zoe_slip"]
    for name, (_, grade) in HOSTILE.items():
        row = rows[f"a_{name}"]
        if grade == "full":
            assert row["status"] == "graded" and row["score"] == row["max_score"], (name, row)
        elif grade.startswith("your"):
            assert row["score"] == "0" and grade in reports[f"a_{name}"], (name, reports[f"a_{name}"][:800])
        else:
            assert row["equation"] == grade and row["score"] != row["max_score"], (name, row)
    assert _files(folder) == before, "a submission changed the class's folder"
    assert _sleepers() == [], "a process a submission started outlived its grading"
    again = _grade(folder, tmp_path / "out", "--resume")
    assert again.returncode == 0 and "kept from the earlier run" in again.stdout, again.stdout + again.stderr
    assert "appeared" not in again.stdout + again.stderr


@needs_frameworks
@needs_containment
@pytest.mark.slow
def test_resume_grades_only_the_class_its_first_run_found(tmp_path):
    """A submission that appears in the class's folder after the first run began (as a planted file would) is
    not graded by --resume: the run says so, and its CSV row has no score and says why."""
    folder = _class(tmp_path / "class", hostile=False)
    first = _grade(folder, tmp_path / "out", "--workers", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    (folder / "planted.py").write_text(VICTIMS["zed_right.py"])
    again = _grade(folder, tmp_path / "out", "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "not graded: planted appeared in the class's folder after its first run began" in again.stdout + again.stderr
    planted = _rows(tmp_path / "out")["planted"]  # a row, as every submission found has, but no grade
    assert planted["score"] == "" and planted["status"] == "not in the class's first run", planted


@needs_frameworks
def test_a_class_is_not_graded_uncontained_unless_asked(tmp_path, monkeypatch, capsys):
    """Where containment is unavailable, grading a class of two is exit 2 naming what it needs and --uncontained;
    nothing is graded."""
    import argparse

    monkeypatch.setattr(containment, "unavailable", lambda: "this machine does not let a process make its own namespaces")
    folder = tmp_path / "class"
    folder.mkdir()
    for name, source in VICTIMS.items():
        (folder / name).write_text(source)
    args = argparse.Namespace(**{name: None for name in grading._given(argparse.Namespace())})  # every setting unset
    args.__dict__ |= {"submissions": folder, "config": None, "out": tmp_path / "out", "resume": False, "fresh": False}
    args.__dict__ |= {"gradescope": None, "uncontained": False, "workers": 1, "scheduler": None}
    code = grading.command(args, None)
    assert code == 2
    said = capsys.readouterr().err
    assert "does not let a process make its own namespaces" in said and "--uncontained" in said, said
    assert not (tmp_path / "out" / "grades.csv").exists()
