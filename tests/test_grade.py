"""Grading a class (issue 37): `python -m crosscheck grade` gives examples/class the grades and slips its README
lists, writes the CSV, the Gradescope JSON and the summary with its chart, gives the same grades on a Dask
cluster, keeps every finished grade through an interruption, and no submission's misbehaviour changes another
student's grade or the exit status."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import framework_available

from crosscheck import grading, marking
from crosscheck.certificate.run import local_cluster

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "examples" / "class"
needs_frameworks = pytest.mark.skipif(
    not (framework_available("torch") and framework_available("jax")), reason="grading needs torch and jax"
)

EXPECTED = {
    # student: (score of 10, status, the first failing equation, the slip named)
    "ada": (10, "graded", "", ""),
    "ben": (10, "graded", "", ""),
    "cleo": (10, "graded", "", ""),
    "dev": (10, "graded", "", ""),
    "eve": (1, "graded", "BP1", "bp1_without_sigma_prime"),
    "finn": (3, "graded", "BP2", "bp2_without_sigma_prime"),
    "gus": (7, "graded", "BP3", "bias_first_sample"),
    "hana": (6, "graded", "BP4", "transposed"),
    "ivan": (9, "graded", "loss", "cost_half"),
    "jo": (8, "graded", "update", "ascent"),
    "kai": (0, "did not finish", "", ""),
    "lea": (0, "not loaded", "", ""),
    "max": (1, "graded", "BP1", "missing_mean"),
    "noor": (3, "graded", "BP2", "wrong_layer_weights"),
}
"""What examples/class/README.md says of each submission, as grades (cost 1, BP1 2, BP2 2, BP3 1, BP4 2, update 2):
a failing equation's later tests carry its error and score 0, BP3 and BP4 are judged apart."""


def _grade(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "crosscheck", "grade", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def _readme_commands() -> list[str]:
    """Use 5's three commands, as printed in its bash block: grade, resume, autograder."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Use 5[^\n]*\n+```bash\n(.*?)```", text, re.DOTALL)
    assert block is not None, "README.md's Use 5 opens with no ```bash block"
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 3 and all(c.startswith("python -m crosscheck grade ") for c in commands), commands
    return commands


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The README's three grade commands, as printed, run in order from a folder where examples/ is the
    repository's: the first's result (the class graded), and the other two's."""
    where = tmp_path_factory.mktemp("class")
    (where / "examples").symlink_to(ROOT / "examples")
    first, *more = [_grade(shlex.split(c)[4:], where) for c in _readme_commands()]
    where.joinpath("later.json").write_text(json.dumps([[m.returncode, m.stdout, m.stderr] for m in more]))
    return where, first


# --- quick: the settings and the submissions -------------------------------------------------------------
def test_an_assignment_names_what_it_cannot_take():
    """An unknown setting, an unknown test, negative points, or no test with points: a ConfigError naming it and,
    for a misspelt name, the closest valid one."""
    for config, words in [
        ({"functoin": "backprop"}, "no setting 'functoin' (did you mean 'function'?)"),
        ({"points": {"bp2": 1}}, "names no test 'bp2' (did you mean 'BP2'?)"),
        ({"weights": {"BP5": 1}}, "names no test 'BP5'"),
        ({"messages": {"BP2": 3}}, "[messages] BP2 must be text"),
        ({"points": {"BP1": 1}, "weights": {"BP2": 1}}, "both [points] and [weights]"),
        ({"weights": {"BP1": -1}}, "BP1 must be a number of points >= 0"),
        ({"weights": dict.fromkeys(marking.TESTS, 0)}, "every test has 0 points"),
        ({"l2_form": "lambda"}, "the assignment's declarations"),
    ]:
        with pytest.raises(marking.ConfigError, match=re.escape(words)):
            marking.assignment(config, {})


def test_every_declaration_has_its_own_name_beside_the_points_and_messages():
    """`weights = "in_out"` declares the layout (the points are [points]; an older [weights] table still reads as
    points), and [messages] adds the teacher's words to that test's output."""
    chosen = marking.assignment({"weights": "in_out", "points": {"BP2": 5}, "messages": {"BP2": "see slide 12"}}, {})
    assert chosen.options()["convention"].weights == "in_out" and chosen.weights["BP2"] == 5
    assert marking.assignment({"weights": {"BP2": 4}}, {}).weights["BP2"] == 4
    assert chosen.messages == {"BP2": "see slide 12"}


def test_the_command_line_overrides_the_toml_and_the_update_test_needs_an_update():
    """Settings come from the defaults, then the TOML, then the command line; the update's test counts only when
    an update is asked for."""
    chosen = marking.assignment({"cases": 50, "update": "step", "weights": {"BP3": 3}}, {"cases": 70, "seed": None})
    assert chosen.settings["cases"] == 70 and chosen.update == "step" and chosen.weights["BP3"] == 3
    assert "update" in chosen.tests and chosen.max_score == 12
    assert "update" not in marking.assignment({}, {}).tests


def test_submissions_are_py_files_package_folders_and_notebooks(tmp_path):
    """A folder's .py files, package folders and notebooks are its submissions; its assignment.toml, hidden
    files and anything else are not (those are listed as ignored); two entries of one name keep their suffixes."""
    for name in ("a.py", "b.ipynb", "c.py", "c.ipynb", "notes.txt", ".hidden.py", "_private.py", "assignment.toml"):
        (tmp_path / name).write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "data").mkdir()
    entries, ignored = marking.submissions(tmp_path)
    assert [(e.student, e.kind) for e in entries] == [
        ("a", "module"), ("b", "notebook"), ("c.ipynb", "notebook"), ("c.py", "module"), ("pkg", "package")
    ]  # fmt: skip
    assert ignored == ["data", "notes.txt"]
    one, _ = marking.submissions(tmp_path / "a.py")
    assert [e.student for e in one] == ["a"]


def test_a_folder_with_an_earlier_runs_grades_is_not_regraded_silently(tmp_path):
    """Grades an earlier run kept in --out are neither regraded nor lost without being asked: exit 2, naming
    --resume and --fresh."""
    (tmp_path / "s").mkdir()
    shutil.copy(CLASS / "ada.py", tmp_path / "s" / "ada.py")
    grading.keep(tmp_path / "out", {"student": "ada", "score": 10})
    done = _grade(["s", "--out", "out"], tmp_path, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "holds 1 grade of an earlier run: --resume" in done.stderr and "--fresh" in done.stderr


# --- slow: whole runs -------------------------------------------------------------------------------------
@needs_frameworks
@pytest.mark.slow
@pytest.mark.xdist_group("graded")  # one worker runs the shared fixture once
def test_the_readme_resumes_the_class_and_writes_the_autograder(graded):
    """Use 5's second command keeps every grade of the first (nothing new to grade); the third writes the zip."""
    where, _ = graded
    (resume, resumed, _), (zipped, said, err) = json.loads((where / "later.json").read_text())
    assert resume == 0 and "14 kept from the earlier run" in resumed, resumed
    assert zipped == 0 and (where / "autograder.zip").is_file(), said + err


@needs_frameworks
@pytest.mark.slow
@pytest.mark.xdist_group("graded")  # one worker runs the shared fixture once
def test_the_feedback_speaks_to_the_student(graded):
    """What each student reads (every test's output, in their Gradescope results.json) holds no advice about the
    tool's declarations, which the assignment fixed, and no path of the grader's machine; the teacher's message is on
    its test; a submission that only hung is headed "did not finish", not "disagrees"."""
    where, _ = graded
    for results_file in sorted((where / "grades" / "gradescope").glob("*.json")):
        results = json.loads(results_file.read_text())
        text = json.dumps(results, ensure_ascii=False)
        for advice in ("declare", "'deltas' too", "(verify:", "sizes=", str(ROOT), str(where)):
            assert advice not in text, f"{results_file.stem}'s feedback says {advice!r}"
        bp2 = next(t for t in results["tests"] if t["name"].startswith("BP2"))
        assert "From your teacher: Lecture 4, slide 12" in bp2["output"], results_file.stem
    hung = json.loads((where / "grades" / "gradescope" / "kai.json").read_text())
    assert hung["output"].startswith("Your implementation did not finish"), hung["output"][:200]


@needs_frameworks
@pytest.mark.slow
@pytest.mark.xdist_group("graded")  # one worker runs the shared fixture once
def test_the_example_class_gets_each_expected_grade_and_slip(graded):
    """The README's command grades examples/class: exit 0, every student's score, status, equation and slip as
    expected, and the CSV, the JSON, a Gradescope results.json per submission and the summary with its chart."""
    where, done = graded
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    out = where / "grades"
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").read_text().splitlines())}
    got = {s: (float(r["score"]), r["status"], r["equation"], r["slip"]) for s, r in rows.items()}
    assert got == {s: (float(score), *rest) for s, (score, *rest) in EXPECTED.items()}
    everything = json.loads((out / "grades.json").read_text())
    assert everything["ignored"] == ["README.md"] and not everything["not_graded"]
    assert {r["max_score"] for r in everything["students"]} == {10}
    for student in EXPECTED:
        results = json.loads((out / "gradescope" / f"{student}.json").read_text())
        assert results["score"] == sum(t["score"] for t in results["tests"]) == EXPECTED[student][0]
        assert {"name", "score", "max_score", "status", "output"} <= set(results["tests"][0])
        assert {t["status"] for t in results["tests"]} <= {"passed", "failed"}
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Grades: 14 submissions") and "4 of 14 full marks" in summary
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    by_student = {r["student"]: r for r in everything["students"]}
    assert "code cell 2 of max.ipynb raised NameError" in by_student["max"]["report"]
    assert (
        "exited" in by_student["lea"]["report"] and "did not finish" in by_student["kai"]["verdict"] + by_student["kai"]["status"]
    )
    failing = next(t for t in by_student["eve"]["tests"] if t["name"] == "BP1")
    assert "It looks like BP1 without σ'" in failing["output"] and "Rebuild the case" in failing["output"]


@needs_frameworks
@pytest.mark.slow
@pytest.mark.xdist_group("graded")  # one worker runs the shared fixture once
def test_a_two_worker_dask_cluster_gives_the_local_grades(graded, tmp_path):
    """Five of the class (a correct module, a package, a notebook with a failing cell, a slip, an exit at import)
    graded on a 2-worker LocalCluster (--scheduler) get exactly their grades of the local run (the whole class under
    the thorough profile)."""
    where, done = graded
    assert done.returncode == 0, done.stderr[-2000:]
    local = json.loads((where / "grades" / "grades.json").read_text())["students"]
    # At the same relative path as the local run's: the reports quote the submission's path.
    part = tmp_path / "examples" / "class"
    if os.environ.get("HYPOTHESIS_PROFILE") == "thorough":
        shutil.copytree(CLASS, part)
    else:
        shutil.copytree(CLASS, part, ignore=lambda _, names: [n for n in names if n not in FIVE])
        shutil.copytree(CLASS / "cleo", part / "cleo")
    with local_cluster(2) as cluster:  # its HTTP server on a free port: never 8787, which a parallel test may hold
        args = ["examples/class", "--out", str(tmp_path / "out"), "--scheduler", cluster.scheduler_address]
        on_cluster = _grade(args, tmp_path)
    assert on_cluster.returncode == 0, on_cluster.stderr[-3000:]
    remote = json.loads((tmp_path / "out" / "grades.json").read_text())["students"]

    def key(records):
        return {r["student"]: {k: v for k, v in grading.record_key(r).items() if k != "submission"} for r in records}

    graded_here = key(remote)
    assert len(graded_here) == len(marking.submissions(part)[0])  # every submission graded
    assert graded_here == {student: grades for student, grades in key(local).items() if student in graded_here}


FIVE = ("ada.py", "max.ipynb", "finn.py", "lea.py", "assignment.toml")
"""The cluster test's submissions in CI, beside cleo/ (a package): one of each kind and outcome, and the assignment."""


@needs_frameworks
@pytest.mark.slow
def test_an_interrupted_run_keeps_every_finished_grade_and_resume_goes_on(tmp_path):
    """Ctrl-C during a run: exit 130, every grade finished so far kept; --resume grades only the rest and regrades
    a submission that changed (saying so), and the grades come out as a run from scratch gives them."""
    folder = tmp_path / "s"
    folder.mkdir()
    for name in ("ada.py", "eve.py", "gus.py", "jo.py"):
        shutil.copy(CLASS / name, folder / name)
    # the class's assignment at 40 cases a dtype: the same grades for these four, in a fifth of the time
    (folder / "assignment.toml").write_text(re.sub(r"(?m)^cases = \d+$", "cases = 40", (CLASS / "assignment.toml").read_text()))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "crosscheck", "grade", str(folder), "--out", str(tmp_path / "out"), "--workers", "1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state = tmp_path / "out" / "state"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(state.glob("*.json"))) < 2:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    kept_line = f"interrupted: stopped, each grade finished is kept in {state} (--resume goes on from them)"
    assert err.strip().splitlines()[-1] == kept_line, err
    kept = {p.stem: json.loads(p.read_text()) for p in state.glob("*.json")}
    assert 2 <= len(kept) < 4, sorted(kept)
    changed = sorted(kept)[0]
    (folder / f"{changed}.py").write_text((folder / f"{changed}.py").read_text() + "\n# changed after grading\n")
    resumed = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"regrading {changed}: its submission or the assignment changed" in resumed.stdout + resumed.stderr
    assert f"{len(kept) - 1} kept from the earlier run" in resumed.stdout
    final = {r["student"]: r["score"] for r in csv.DictReader((tmp_path / "out" / "grades.csv").read_text().splitlines())}
    assert final == {s: str(EXPECTED[s][0]) for s in ("ada", "eve", "gus", "jo")}


MISBEHAVING = {
    "exits_in_a_call.py": "import os\n\ndef backprop(weights, biases, x, y):\n    os._exit(3)\n",
    "interrupts_its_group.py": (
        "import os, signal\n\ndef backprop(weights, biases, x, y):\n    os.killpg(os.getpgid(0), signal.SIGINT)\n"
        "    raise SystemExit(0)\n"
    ),
    "kills_itself.py": "import os, signal\n\ndef backprop(weights, biases, x, y):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    "patches_torch.py": "import sys\nsys.modules['torch'] = None\n\ndef backprop(weights, biases, x, y):\n    raise ValueError\n",
    "writes_the_grades.py": (
        "import pathlib\n\ndef backprop(weights, biases, x, y):\n"
        "    for p in pathlib.Path('.').rglob('grades.csv'):\n        p.write_text('student,score\\nwrites_the_grades,10\\n')\n"
        "    pathlib.Path('out').mkdir(exist_ok=True)\n    (pathlib.Path('out') / 'grades.csv').write_text('forged')\n"
        "    raise ValueError('no')\n"
    ),
    "eats_memory.py": "def backprop(weights, biases, x, y):\n    hog = bytearray(1 << 34)\n    return hog\n",
}


@needs_frameworks
@pytest.mark.slow
def test_misbehaving_submissions_change_no_other_grade_and_no_exit_status(tmp_path):
    """A class where submissions exit mid-call, interrupt their process group, kill themselves, patch torch at
    import, write over the grades and exhaust memory: exit 0, the correct submission's full marks, each misbehaving
    one 0, and the files are the grader's."""
    folder = tmp_path / "s"
    folder.mkdir()
    shutil.copy(CLASS / "ada.py", folder / "ada.py")
    for name, source in MISBEHAVING.items():
        (folder / name).write_text(source)
    (folder / "assignment.toml").write_text("cases = 20\nmax_layers = 3\ntime_limit = 5\nmemory_limit = 2048\n")
    done = _grade([str(folder), "--out", "out", "--workers", "2"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "out" / "grades.csv").read_text().splitlines())}
    assert rows["ada"]["score"] == rows["ada"]["max_score"] == "8", rows["ada"]
    assert set(rows) == {"ada", *(Path(n).stem for n in MISBEHAVING)}
    for name in MISBEHAVING:
        assert rows[Path(name).stem]["score"] == "0", rows[Path(name).stem]
    assert "forged" not in (tmp_path / "out" / "grades.csv").read_text()


@needs_frameworks
@pytest.mark.slow
def test_a_cluster_lost_mid_run_is_one_error_with_what_was_graded_and_every_finished_grade_kept(tmp_path):
    """The Dask cluster closing once the first grade is in stops the run with ClusterLost (the command's one line,
    exit 2), never a traceback or a student marked lost; the grade that finished is kept for --resume."""
    folder = tmp_path / "s"
    folder.mkdir()
    for name in ("ada.py", "ben.py", "eve.py", "finn.py"):
        shutil.copy(CLASS / name, folder / name)
    entries, _ = marking.submissions(folder)
    chosen = marking.assignment({"cases": 10, "max_layers": 3}, {})
    cluster = local_cluster(1)
    try:

        def close(stage, done, total, failing):
            if done == 1:
                cluster.close()

        with pytest.raises(grading.ClusterLost, match=r"the cluster at tcp://\S+ went away \(\w+\)"):
            grading.grade(entries, chosen, tmp_path / "out", scheduler=cluster.scheduler_address, progress=close)
    finally:
        cluster.close()
    kept = grading.previous(tmp_path / "out")
    assert len(kept) == 1 and all(r["status"] == "graded" for r in kept.values()), kept


SETTINGS = {"--sizes 3,5,2 --cases 20": "a fixed structure", "--cases 3": "three cases a dtype"}
"""The settings the issue found changing a correct grade (a fixed --sizes, few cases)."""


@needs_frameworks
@pytest.mark.slow
@pytest.mark.parametrize("setting", list(SETTINGS), ids=list(SETTINGS.values()))
def test_no_setting_changes_a_correct_grade(tmp_path, setting):
    """At a fixed structure or three cases a dtype, the correct students of examples/class keep full marks, and a
    student whose answer is misshapen there (hana's transposed ∂C/∂W) is never told their function returns no cost."""
    folder = tmp_path / "s"
    folder.mkdir()
    for name in ("ada.py", "ben.py", "dev.ipynb", "hana.py", "assignment.toml"):
        shutil.copy(CLASS / name, folder / name)
    shutil.copytree(CLASS / "cleo", folder / "cleo")
    done = _grade([str(folder), "--out", str(tmp_path / "out"), "--workers", "1", *setting.split()], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "out" / "grades.csv").read_text().splitlines())}
    for student in ("ada", "ben", "cleo", "dev"):
        assert rows[student]["score"] == rows[student]["max_score"] == "10", rows[student]
    cost = json.loads((tmp_path / "out" / "gradescope" / "hana.json").read_text())["tests"][0]
    assert "returns no cost" not in cost["output"], cost


@needs_frameworks
@pytest.mark.slow
def test_a_killed_dask_worker_is_replaced_and_loses_no_grade(tmp_path):
    """Grading on a 2-worker LocalCluster, one worker killed once the first grade is kept: every student is graded
    as a run without the kill grades them, exit 0, and the cluster is back to two workers (its nanny started a new
    one, not only survived without it)."""
    from distributed import Client

    folder = tmp_path / "s"
    folder.mkdir()
    for name in ("ada.py", "eve.py", "gus.py", "jo.py"):
        shutil.copy(CLASS / name, folder / name)
    (folder / "assignment.toml").write_text(re.sub(r"(?m)^cases = \d+$", "cases = 40", (CLASS / "assignment.toml").read_text()))
    state = tmp_path / "out" / "state"
    with local_cluster(2) as cluster, Client(cluster) as client:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "crosscheck", "grade", str(folder), "--out", str(tmp_path / "out")]
        process = subprocess.Popen([*command, "--scheduler", cluster.scheduler_address], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not list(state.glob("*.json")) and process.poll() is None:
            time.sleep(0.2)
        victim = sorted(client.scheduler_info()["workers"])[0]
        with contextlib.suppress(Exception):  # the worker dies before it can answer
            client.run(os._exit, 1, workers=[victim])
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(client.scheduler_info()["workers"]) < 2:
            time.sleep(0.5)
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2 and victim not in workers, sorted(workers)
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "out" / "grades.csv").read_text().splitlines())}
    assert {s: float(r["score"]) for s, r in rows.items()} == {s: float(EXPECTED[s][0]) for s in ("ada", "eve", "gus", "jo")}


def test_a_test_with_too_few_judged_cases_says_so_instead_of_failing():
    """A check whose every case agrees but where a dtype drawn had no case judged (all on a kink or a clip's bound)
    marks every test "not judged", saying too few cases could be judged and that the settings, not the code, caused
    it; with one case judged in each dtype the same agreement passes."""
    from types import SimpleNamespace

    from crosscheck import marking
    from crosscheck.results import Counts

    chosen = marking.Assignment({"function": "backprop"}, dict.fromkeys(("cost", "BP1", "BP2", "BP3", "BP4"), 2.0))

    def result(judged: dict[str, int]) -> SimpleNamespace:
        counts = Counts(asked={"float64": 3, "float32": 3}, judged=judged, unjudged=6 - sum(judged.values()))
        return SimpleNamespace(
            counts=counts,
            failure=None,
            unchecked=False,
            given=("loss", "weights", "biases"),
            report=lambda: "",
            summary=lambda: "",
        )

    marks = marking.scored(result({"float64": 3, "float32": 0}), chosen)
    assert all(m["status"] == "failed" and not m["judged"] for m in marks), marks
    assert all("too few cases could be judged" in m["output"] and "none in float32" in m["output"] for m in marks)
    assert all("not your code" in m["output"] for m in marks)
    passed = marking.scored(result({"float64": 1, "float32": 1}), chosen)
    assert all(m["status"] == "passed" for m in passed), passed


def _no_half_and_bp2_without_prime(weights, biases, x, y):
    """Sigmoid layers in columns; the cost lacks its ½ and BP2 drops σ'(z^l) (two slips, the cost's first)."""
    import numpy as np

    a, n = [x], x.shape[1]
    for W, b in zip(weights, biases):
        a.append(1 / (1 + np.exp(-(W @ a[-1] + b))))
    delta = (a[-1] - y) * a[-1] * (1 - a[-1]) / n
    gw, gb = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        gw[l], gb[l] = delta @ a[l].T, delta.sum(axis=1, keepdims=True)
        delta = weights[l].T @ delta  # BP2 without ⊙ σ'(z^l)
    return {"loss": np.sum((a[-1] - y) ** 2) / n, "weights": gw, "biases": gb}


@needs_frameworks
def test_which_equation_broke_is_decided_once_by_the_diagnosis():
    """With the cost departing first and a BP2 slip behind it, the diagnosis names the cost and, with the cost left
    aside, BP2; the report says both; marking fails the cost and BP2 from that diagnosis alone (BP1 passes, BP3 and
    BP4 carry BP2's error), and marking imports neither the diagnosis nor the check."""
    import ast

    from crosscheck.verify import check_implementation

    result = check_implementation(
        _no_half_and_bp2_without_prime, convention="columns", isolate=False, cases=4, dtypes=["float64"], min_layers=2
    )
    found = result.failure.found
    assert (found.equation, found.gradients) == ("loss", "BP2"), (found.equation, found.gradients, result.report())
    assert "With the cost left aside, your implementation's gradients depart too: look at BP2" in result.report()
    chosen = marking.Assignment({"function": "backprop"}, dict.fromkeys(("cost", "BP1", "BP2", "BP3", "BP4"), 2.0))
    marks = {m["name"]: (m["status"], m["judged"]) for m in marking.scored(result, chosen)}
    assert marks == {
        "cost": ("failed", True),
        "BP1": ("passed", True),
        "BP2": ("failed", True),
        "BP3": ("failed", False),
        "BP4": ("failed", False),
    }, marks
    source = Path(marking.__file__).read_text()
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"crosscheck.diagnosis", "crosscheck.check"}, sorted(imported)
