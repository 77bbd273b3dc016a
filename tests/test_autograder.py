"""Gradescope (issue 41): `grade --autograder assignment.toml --out autograder.zip` writes the zip Gradescope runs,
and its run_autograder, run in a tree laid out as Gradescope's, writes a results.json valid against Gradescope's
documented format for a one-file and a multi-file submission, keeps the seed out of the student's view, honours
each test's visibility, and says why when it cannot grade."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import framework_available

ROOT = Path(__file__).resolve().parents[1]
needs_frameworks = pytest.mark.skipif(
    not (framework_available("torch") and framework_available("jax")), reason="grading needs torch and jax"
)
SEED = 918273
ASSIGNMENT = f"""function = "backprop"
cases = 8
seed = {SEED}
dtypes = ["float64"]
max_layers = 3
max_width = 4

[points]
BP4 = 3

[visibility]
BP4 = "after_due_date"
update = "hidden"

[messages]
BP1 = "Compare with slide 9."
"""
SOLUTION = (ROOT / "examples" / "class" / "ada.py").read_text()
SLIPPED = (ROOT / "examples" / "class" / "eve.py").read_text()  # BP1 without σ'


def _valid(results: dict) -> None:
    """Gradescope's results.json format (gradescope-autograders.readthedocs.io, "Autograder Specifications"):
    a score (or scores on every test), optional output and visibility, tests with a score, max_score, name,
    status passed/failed, output and visibility among Gradescope's four."""
    allowed = {"score", "execution_time", "output", "output_format", "visibility", "stdout_visibility", "extra_data", "tests"}
    assert set(results) <= allowed, set(results) - allowed
    assert isinstance(results.get("tests", []), list)
    assert "score" in results or all("score" in t for t in results["tests"])
    assert isinstance(results.get("score", 0.0), (int, float)) and isinstance(results.get("output", ""), str)
    for key in ("visibility", "stdout_visibility"):
        assert results.get(key, "visible") in ("visible", "hidden", "after_due_date", "after_published")
    for test in results["tests"]:
        assert set(test) <= {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                             "tags", "visibility", "extra_data"}, test  # fmt: skip
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert test["status"] in ("passed", "failed") and isinstance(test["name"], str) and isinstance(test["output"], str)
        assert test.get("visibility", "visible") in ("visible", "hidden", "after_due_date", "after_published")
        assert test.get("output_format", "text") in ("text", "html", "simple_format", "md", "ansi")


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    """The zip, written by the command as a teacher runs it."""
    where = tmp_path_factory.mktemp("teacher")
    (where / "assignment.toml").write_text(ASSIGNMENT)
    done = subprocess.run(
        [sys.executable, "-m", "crosscheck", "grade", "--autograder", "assignment.toml", "--out", "autograder.zip"],
        cwd=where, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Gradescope stops a run after 10 minutes" in done.stdout
    return where / "autograder.zip"


def _run(zip_path: Path, tree: Path, files: dict[str, str]) -> dict:
    """run_autograder, from the zip, in `tree` laid out as Gradescope's /autograder (source, submission, results)."""
    (tree / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(tree / "source")
    (tree / "submission").mkdir()
    for name, text in files.items():
        (tree / "submission" / name).write_text(text)
    env = {**os.environ, "AUTOGRADER_ROOT": str(tree), "CROSSCHECK_PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}
    command = ["bash", str(tree / "source" / "run_autograder")]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((tree / "results" / "results.json").read_text())


def test_the_zip_holds_what_gradescope_runs_at_its_root(autograder):
    """setup.sh and run_autograder at the zip's root, executable, beside the assignment and the project's source."""
    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert {"setup.sh", "run_autograder", "assignment.toml", "project/pyproject.toml", "project/crosscheck/grading.py"} <= names
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert "download.pytorch.org/whl/cpu" in zipfile.ZipFile(autograder).read("setup.sh").decode()


@needs_frameworks
@pytest.mark.slow
def test_run_autograder_grades_a_one_file_and_a_multi_file_submission(autograder, tmp_path):
    """One file: full marks, every test's visibility as the assignment says, the teacher's message on BP1, the seed
    nowhere. Two files (the solution imports its helper): the same grade. A slip: BP1 fails, named."""
    one = _run(autograder, tmp_path / "one", {"solution.py": SOLUTION})
    _valid(one)
    assert one["score"] == 1 + 2 + 2 + 1 + 3, one
    shown = {t["name"].split(":")[0]: t for t in one["tests"]}
    assert shown["BP4"]["visibility"] == "after_due_date" and shown["BP1"]["visibility"] == "visible"
    assert "From your teacher: Compare with slide 9." in shown["BP1"]["output"]
    assert str(SEED) not in json.dumps(one)
    helper = "def sigmoid(z):\n    import numpy as np\n    return 1 / (1 + np.exp(-z))\n"
    split = SOLUTION.replace("import numpy as np", "import numpy as np\nfrom helpers import sigmoid as _unused", 1)
    two = _run(autograder, tmp_path / "two", {"solution.py": split, "helpers.py": helper})
    _valid(two)
    assert two["score"] == one["score"], two["output"]
    slipped = _run(autograder, tmp_path / "slip", {"eve.py": SLIPPED})
    _valid(slipped)
    failed = [t["name"].split(":")[0] for t in slipped["tests"] if t["status"] == "failed"]
    assert failed[:1] == ["BP1"], slipped
    assert str(tmp_path) not in json.dumps(slipped), "the grader's paths reached the student"


@needs_frameworks
def test_run_autograder_says_why_when_it_cannot_grade(autograder, tmp_path):
    """A submission where no file defines the function: results.json with score 0 naming what is missing, never a
    missing results file (which Gradescope shows as an autograder failure)."""
    results = _run(autograder, tmp_path / "none", {"notes.py": "x = 1\n"})
    _valid(results)
    assert results["score"] == 0 and "no file defines backprop()" in results["output"], results
