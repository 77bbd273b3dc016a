"""Checking your own backprop: the example implementations pass, buggy ones are caught and
diagnosed by name, conventions are reported as conventions, bad implementations get a report."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import buggy
import numpy as np
import pytest
from helpers import framework_available, mixed_cases

import crosscheck
from crosscheck.check import step_check
from examples import columns, per_sample, rows
from reference import Network

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.torch,
    pytest.mark.jax,
    pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="needs torch and jax"),
]


@pytest.mark.parametrize(
    ("module", "convention", "update"),
    [
        pytest.param(columns, "columns", columns.update, id="columns"),
        pytest.param(rows, "rows", None, id="rows", marks=pytest.mark.slow),
        pytest.param(per_sample, "per-sample", None, id="per-sample", marks=pytest.mark.slow),
    ],
)
def test_the_examples_agree_in_their_conventions(module, convention, update):
    """Each example implementation passes on 1,000 drawn cases per dtype (float64 and float32) in its own convention."""
    result = crosscheck.check_implementation(module.backprop, convention=convention, update=update, cases=1000)
    assert result.ok, result.report()
    assert result.judged == {"float64": 1000, "float32": 1000}
    assert "your implementation agrees with torch and jax on all 2,000 cases" in result.report()


def test_an_update_that_ascends_is_diagnosed():
    """A correct backward pass with an update that adds the gradient fails on the update, named as gradient ascent."""
    result = crosscheck.check_implementation(buggy.correct, update=buggy.ascent_update, cases=50)
    assert not result.ok and result.failure is None
    assert "update W ← W − η ∂C/∂W" in result.report() and "gradient ascent" in result.report()


@pytest.mark.parametrize(
    ("variant", "words"),
    [
        ("raising", "your implementation raised IndexError: list index out of range"),
        ("mutating", "your implementation changed the x it was given"),
        ("wrong_dtype", "returned ∂C/∂W^2 as float16 for a float64 case"),
        ("accumulating", "gradients accumulate across calls"),
    ],
)
def test_a_bad_implementation_gets_a_report_not_a_crash(variant, words):
    """An implementation that raises, mutates its inputs, changes dtype or keeps state gets a report saying so."""
    result = crosscheck.check_implementation(getattr(buggy, variant), cases=50, shrink=False)
    assert not result.ok
    assert words in result.report(), result.report()


def test_the_wrong_number_of_layers_is_named():
    """An implementation that returns one layer too few is told so, with the loop hypothesis."""

    def short(w, b, x, y):
        g = buggy.correct(w, b, x, y)
        return g["weights"][1:], g["biases"][1:]

    result = crosscheck.check_implementation(short, cases=50, max_layers=3, shrink=False)
    assert "stops one layer early" in result.report(), result.report()


@pytest.mark.slow
def test_the_reproduction_imports_your_function_and_fails_as_printed(tmp_path):
    """The report's snippet imports the buggy function from its module and, run as printed, fails with the same mismatch."""
    result = crosscheck.check_implementation(buggy.sign, cases=100)
    snippet = result.failure.reproduction()
    assert "from buggy import sign" in snippet
    assert "implementation = crosscheck.implementation(sign, convention='columns')" in snippet
    script = tmp_path / "rebuild.py"
    script.write_text(snippet)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0, "the reproduction passed: it does not rebuild the failure"
    assert "AssertionError" in done.stderr and "(your implementation), but" in done.stderr


@pytest.mark.slow
def test_step_check_against_finite_differences_raises_no_false_alarm():
    """One correct update against W − η ∂C/∂W from finite differences agrees on 1,000 diverse cases, float32 and float64."""
    found = []
    for case in mixed_cases(11, 1000):
        comparison = step_check(case, "numeric")
        if not comparison.ok:
            found.append(comparison.report(reproduce=False).splitlines()[0])
    assert not found, f"{len(found)} false alarms; the first: {found[0]}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["examples.rows:backprop", "--convention", "rows", "--cases", "100"], 0, "agrees with torch and jax"),
        (["buggy:sign", "--cases", "100"], 1, "It looks like the sign flipped"),
        (["buggy:nothing_here", "--cases", "10"], 2, "has no attribute 'nothing_here'"),
        (["no_such_module:f"], 2, "raised ModuleNotFoundError while it was being imported: No module named 'no_such_module'"),
        (["examples.rows:backprop", "--convention", "diagonal"], 2, "invalid choice: 'diagonal'"),
    ],
)
def test_the_cli_verifies_a_function_and_exits_0_1_or_2(args, code, words):
    """`python -m crosscheck verify MODULE:FUNCTION` exits 0 when it agrees, 1 when it does not, 2 on a usage error."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    done = subprocess.run(
        [sys.executable, "-m", "crosscheck", "verify", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert words in done.stdout + done.stderr


@pytest.mark.slow
def test_the_cli_writes_json_and_markdown(tmp_path):
    """`--json` and `--markdown` write the verdict and the report."""
    import json

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    out_json, out_md = tmp_path / "v.json", tmp_path / "v.md"
    args = ["buggy:mean_in_bp3", "--cases", "50", "--json", str(out_json), "--markdown", str(out_md)]
    done = subprocess.run(
        [sys.executable, "-m", "crosscheck", "verify", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    data = json.loads(out_json.read_text())
    assert data["ok"] is False and data["failure"]["diagnosis"]["equation"] == "BP3"
    assert "BP3" in out_md.read_text()
    assert np.isfinite(data["worst_ratio"]["torch"])


def _exits(w, b, x, y):
    sys.exit(0)


def _update_raises(weights, biases, x, y, learning_rate):
    raise RuntimeError("boom in the update")


def test_an_implementation_that_exits_is_reported_not_obeyed():
    """An implementation that calls sys.exit(0) gets a report naming SystemExit, never an 'agrees' (nor an exit)."""
    result = crosscheck.check_implementation(_exits, cases=5, shrink=False)
    assert not result.ok
    assert "your implementation raised SystemExit" in result.report()


def test_an_update_that_raises_is_part_of_the_report():
    """An update that raises is reported beside the gradient verdict (which still agrees), not as a traceback."""
    result = crosscheck.check_implementation(buggy.correct, update=_update_raises, cases=5)
    assert not result.ok and result.failure is None and result.step_failure is not None
    assert "your implementation's update raised RuntimeError: boom in the update" in result.report()


def test_a_check_that_compares_nothing_does_not_pass():
    """No dtypes is refused; a result with no case judged is not ok and says 'Nothing checked'."""
    with pytest.raises(ValueError, match="dtypes is empty: a check that compares nothing cannot fail"):
        crosscheck.check_implementation(buggy.correct, dtypes=[], cases=5)
    judged = crosscheck.check_implementation(buggy.correct, cases=5)
    nothing = dataclasses.replace(
        judged, counts=dataclasses.replace(judged.counts, judged={"float64": 0, "float32": 0}, unjudged=10)
    )
    assert judged.ok and not nothing.ok
    assert nothing.summary().startswith("Nothing checked")


@pytest.mark.parametrize(
    ("rate", "error", "words"),
    [
        (-0.5, ValueError, "learning_rate must be a finite number > 0, got -0.5"),
        (float("nan"), ValueError, "learning_rate must be a finite number > 0, got nan"),
        ("0.5", TypeError, "learning_rate must be a real number, got str '0.5'"),
        (True, TypeError, "learning_rate must be a real number, got bool True"),
    ],
)
def test_a_bad_learning_rate_is_refused_before_any_framework_sees_it(rate, error, words):
    """step_check and check_implementation refuse a learning rate that is not a finite number > 0, naming it."""
    implementation = crosscheck.implementation(buggy.correct, update=buggy.ascent_update)
    case = crosscheck.Case(Network.random((2, 2, 1), seed=0), np.ones((2, 3)), np.zeros((1, 3)))
    with pytest.raises(error, match=re.escape(words)):
        step_check(case, "torch", rate, implementation=implementation)
    with pytest.raises(error, match=re.escape(words)):
        crosscheck.check_implementation(buggy.correct, update=buggy.ascent_update, learning_rate=rate, cases=5)


@pytest.mark.slow
def test_the_cli_never_exits_0_for_an_implementation_that_exits(tmp_path):
    """`verify` on an implementation that calls sys.exit(0) exits 1 with the report, not 0."""
    (tmp_path / "exiting.py").write_text("import sys\n\ndef backprop(w, b, x, y):\n    sys.exit(0)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    done = subprocess.run(
        [sys.executable, "-m", "crosscheck", "verify", "exiting:backprop", "--cases", "5"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "raised SystemExit" in done.stdout
