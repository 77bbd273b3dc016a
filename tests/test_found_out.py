"""Issue 40: correct code passes however it is shaped, and the edges of the process boundary hold.

Each test names the finding it decides; each failed on main at 4f06f4c. The misbehaving answers (a non-text
key, big-endian arrays, a 300 MB answer, a print where no file can grow) are rows of tests/test_misbehaving.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import framework_available

import crosscheck
from crosscheck import counterparts, isolation, outputs

ROOT = Path(__file__).resolve().parents[1]
needs_frameworks = pytest.mark.skipif(
    not (framework_available("torch") and framework_available("jax")), reason="needs torch and jax"
)


# --- the time limit is judged on arrival ------------------------------------------------------
def test_an_answer_that_arrives_after_the_time_limit_is_not_finished_however_busy_the_checker_was():
    """A call that took 3 s under a 1 s limit is "timed_out" even when its answer was already queued because the
    checker was busy (here: asleep) until after it came."""
    runner = isolation.Runner({"backward": isolation.named("misbehaving", "takes_three_seconds")}, isolation.Limits(1.0))
    W, b, x, y = [np.ones((1, 1))], [np.ones((1, 1))], np.ones((1, 1)), np.ones((1, 1))
    try:
        collect = runner.submit([[("backward", (W, b, x, y))]])
        time.sleep(4.0)  # the checker compiling JAX, say: the answer arrives meanwhile
        ((outcome,),) = collect()
    finally:
        runner.close()
    assert outcome.kind == "timed_out", outcome
    assert outcome.seconds > 1.0, outcome


# --- the outputs ------------------------------------------------------------------------------
def test_standard_input_is_refused_as_an_output():
    """--json /dev/stdin would replace the file the shell redirected into the process: refused when parsed."""
    for path in ("/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"):
        with pytest.raises(outputs.Refused, match="standard input"):
            outputs.output_file(path)


def test_a_fifo_made_at_the_output_path_during_the_run_is_written_in_place(tmp_path):
    """A path that was not there at parse time and is a FIFO at the end is written into, never replaced."""
    path = tmp_path / "v.json"
    output = outputs.output_file(str(path))
    os.mkfifo(path)
    got: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as f:
            got.append(f.read())

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.2)
    outputs.write(output, b'{"ok": false}')
    reader.join(5)
    assert got == [b'{"ok": false}']
    assert path.is_fifo()


@needs_frameworks
def test_an_interrupted_verify_leaves_no_earlier_verdict_at_its_output(tmp_path):
    """An earlier run's "ok" at --json is gone once the run is stopped in its first second (exit 130)."""
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"ok": True}))
    command = [sys.executable, "-m", "crosscheck", "verify", "examples.columns:backprop", "--json", str(path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.6)
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 130
    assert not path.exists(), path.read_text()


# --- correct code passes ----------------------------------------------------------------------
@needs_frameworks
def test_a_fused_softmax_head_clipped_at_1e_7_agrees():
    """A book's softmax + cross-entropy head clipped at 1e-7 agrees: torch's oracle costs the clamped a itself,
    where F.cross_entropy's log_softmax renormalised the clip away (72 of 200 cases failed)."""
    mine = crosscheck.Convention("book", samples="rows", weights="in_out", biases="flat", targets="one_hot", clip=1e-7)
    result = crosscheck.check_implementation(
        "outside:fused_clipped_head",
        convention=mine,
        activation="relu",
        output_activation="softmax",
        loss="cross_entropy",
        cases=200,
        dtypes=("float64",),
        shrink=False,
    )
    assert result.ok, result.report()


@needs_frameworks
def test_a_one_class_clipped_cross_entropy_costs_the_clip_in_torch_as_in_jax():
    """On a one-class output softmax gives a = 1, clipped to 1 − 1e-7: C = −log(1 − 1e-7) in torch as in NumPy."""
    import torch

    clipped = counterparts.loss("cross_entropy", 1e-7)
    a = torch.ones((1, 2), dtype=torch.float64)
    expected = -np.log(1 - 1e-7)
    assert float(clipped.torch(a, a)) == pytest.approx(expected, rel=1e-9)
    assert float(np.sum(clipped.numpy_per_sample(np.ones((1, 2)), np.ones((1, 2))))) == pytest.approx(expected, rel=1e-9)


@needs_frameworks
@pytest.mark.parametrize("outputs_width", [1, 3])
def test_an_update_on_the_mean_over_elements_without_the_half_agrees_at_every_output_width(outputs_width):
    """A per-sample update on C_x = mean_j (a_j − y_j)² is stepped on its own cost at any output width (the scale
    was tested at n_L = 2 only, and a correct update at n_L = 3 was flagged n_L/2 too far)."""
    mine = crosscheck.Convention("layers", per_sample=True, cost="elements", half=False)
    result = crosscheck.check_implementation(
        "outside:per_sample_elements",
        convention=mine,
        update="outside:per_sample_elements_update",
        outputs=outputs_width,
        cases=30,
        dtypes=("float64",),
        shrink=False,
    )
    assert result.ok, result.report()
    assert result.steps > 0


@needs_frameworks
def test_one_oracle_alone_disagreeing_is_no_verdict_on_your_code(monkeypatch):
    """When torch alone departs and JAX agrees with your code, the summary says the oracles disagree with each
    other, never "your implementation disagrees", and no diagnosis blames an equation of yours."""
    sigmoid = counterparts.ACTIVATIONS["sigmoid"]
    off = dataclasses.replace(sigmoid, torch=lambda z: sigmoid.torch(z) * 1.01)  # a broken torch oracle
    monkeypatch.setitem(counterparts.ACTIVATIONS, "sigmoid", off)
    result = crosscheck.check_implementation(
        "examples.columns:backprop", cases=5, dtypes=("float64",), shrink=False, isolate=False
    )
    summary, report = result.summary(), result.report()
    assert not result.ok
    assert summary.startswith("No verdict on your implementation: the oracles disagree with each other"), summary
    assert "disagrees with the oracles" not in summary
    assert "Diagnosis" not in report and "look at" not in report, report


# --- find out, don't assume: verify with no declarations -----------------------------------------
import outside  # noqa: E402
import people  # noqa: E402
from conftest import PROFILE  # noqa: E402

from crosscheck.convention import DECLARED, Convention  # noqa: E402

NO_FLAG_CASES = {"thorough": 1000, "ci": 100}.get(PROFILE, 60)
"""Cases per dtype of a no-flag check of a correct implementation."""
QUICK_SHAPES = {"the chapter's (nabla_b, nabla_w), one sample per call", "a fixed two-layer class, labels (N,)"}
"""The shapes the quick (dev) profile runs: the chapter's return order and a fixed architecture (issue 40's first two
false alarms); the ci and thorough profiles run all twelve."""


@needs_frameworks
@pytest.mark.parametrize(
    "row",
    [pytest.param(r, marks=[] if r.name in QUICK_SHAPES else [pytest.mark.slow]) for r in outside.TABLE],
    ids=[r.name for r in outside.TABLE],
)
def test_a_correct_implementation_of_any_shape_passes_with_nothing_declared(row):
    """Checked with no declaration at all, each correct shape of tests/outside.py agrees on every case, and what the
    probe found is the declaration written beside it: every Convention field, the names and the depths."""
    result = crosscheck.check_implementation(row.make(), cases=NO_FLAG_CASES)
    assert result.ok, result.report(explain=True)
    declared = dict(row.declared)
    names = declared.pop("names", ("sigmoid", "sigmoid", "quadratic"))
    layers = declared.pop("layers", None)
    want, found = Convention("found", **declared), result.found
    assert found is not None, result.report()
    assert found.convention == want, f"found {found.convention}, written {want}\n{result.report(explain=True)}"
    assert result.names == tuple(names), result.report(explain=True)
    assert found.layers == layers, result.report(explain=True)


MISNAMED = {
    ("the summed cost with ½λΣW²", "tanh_prime_of_z"): "BP1 named; σ' = 1 − z² (of z, not of tanh z) not named as a slip",
    ("a scalar autodiff engine", "mul_operand"): "BP1 named, but as ∇_a C or σ' computed wrongly, not the product rule",
    ("Huber with leaky ReLU, δ returned", "relu_prime"): "BP2 named, but as 'all zeros' (ReLU's slope) for σ' wrong",
}
"""The table's slips whose diagnosis names the equation or the slip otherwise than the table: 3 of 48 (93.8 %
right; the issue asks 90 %). Each is still caught. Listed so that a change that names them right shows here."""
SLIPS = [(row, slip) for row in outside.TABLE for slip in row.slips]


def test_the_outside_table_holds_twelve_shapes_and_forty_eight_slips_named_at_nine_in_ten():
    """12 shapes, 4 slips each, every slip naming a known equation; at most one in ten is misnamed."""
    assert len(outside.TABLE) >= 12 and all(len(row.slips) >= 4 for row in outside.TABLE)
    assert len(SLIPS) >= 48
    assert set(MISNAMED) <= {(row.name, slip.name) for row, slip in SLIPS}
    assert len(MISNAMED) <= 0.1 * len(SLIPS)


@needs_frameworks
@pytest.mark.slow  # 48 shrinks and diagnoses, 1-5 s each: CI's run
@pytest.mark.parametrize("row_slip", SLIPS, ids=[f"{r.name}: {s.name}" for r, s in SLIPS])
def test_a_slip_in_an_outside_shape_is_caught_and_named_with_nothing_declared(row_slip):
    """Each planted slip, checked with no declaration, fails; the diagnosis names its equation and slip (the table's
    expectation), except the listed misnamed ones, which must still fail."""
    row, slip = row_slip
    result = crosscheck.check_implementation(row.make(slip.name), cases=40, dtypes=("float64",))
    assert not result.ok and not result.unchecked, f"{row.name}, {slip.name}: not caught\n{result.report(explain=True)}"
    found = result.failure.diagnosis() if result.failure is not None else None
    named = (found.equation, found.keys) if found is not None else (None, ())
    right = named[0] == slip.equation and (not slip.key or slip.key in named[1])
    if (row.name, slip.name) in MISNAMED:
        assert not right, f"{row.name}, {slip.name} is now named right: take it off MISNAMED"
        return
    assert right, f"{row.name}, {slip.name}: named {named}, the table says {slip.equation}/{slip.key}\n{result.report()}"


PEOPLE_IN_CI = {
    "the summed cost, summed last to first",
    "binary cross-entropy clipped at 1e-7",
    "integer labels (N,), nothing declared",
    "tanh with σ' = 1/cosh²",
    "a fixed two-layer model object, reg · ΣW²",
}
"""The entries CI runs with nothing declared (four that are found out, one refused: it returns no loss); the
thorough profile runs all of tests/people.py's."""


@needs_frameworks
@pytest.mark.slow
@pytest.mark.parametrize(
    "entry",
    [pytest.param(e, marks=[] if e.name in PEOPLE_IN_CI else [pytest.mark.thorough]) for e in people.CORRECT],
    ids=[e.name for e in people.CORRECT],
)
def test_a_correct_implementation_of_people_is_never_called_wrong_with_nothing_declared(entry):
    """Every correct implementation of tests/people.py, checked with no declaration (its update left out: a weight
    decay is not found out), agrees; or, where it returns no loss and computes another network than the
    derivation's, is refused (exit 2) naming the declaration to make. Never "disagrees"."""
    result = crosscheck.check_implementation(entry.fn, cases=60, dtypes=("float64",))
    if result.unchecked:
        assert "it returns no loss" in result.unchecked or "two readings" in result.unchecked, result.report()
        return
    assert result.ok, result.report(explain=True)


@needs_frameworks
def test_a_slip_is_never_hidden_by_narrowing_the_cases():
    """∂C/∂b summed over the samples answers in shape only at one sample, one layer and one output: the probe
    does not narrow the cases to that, and the slip is caught."""
    import buggy

    result = crosscheck.check_implementation(buggy.bias_wrong_axis, cases=40, dtypes=("float64",), shrink=False)
    assert not result.ok, result.report(explain=True)
    assert result.found is None or result.found.layers is None, result.report(explain=True)


@needs_frameworks
def test_verify_with_no_flags_prints_what_it_found_and_its_evidence():
    """`verify MODULE:FUNCTION` with no flags on the README's fixed two-layer net exits 0 and prints the options to
    paste; --explain adds the evidence; the options pasted back give the same verdict without probing."""
    base = [sys.executable, "-m", "crosscheck", "verify", "examples.two_layer:backprop", "--cases", "100"]
    done = subprocess.run([*base, "--explain"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    options = next(line for line in done.stdout.splitlines() if "declare it to skip the probe:" in line).split(": ", 1)[1]
    for flag in ("--samples rows", "--weights in_out", "--biases flat", "--targets labels", "--l2 0.05", "--l2-form reg"):
        assert flag in options, done.stdout
    assert "--min-layers 2 --max-layers 2" in options and "--loss cross_entropy" in options, done.stdout
    assert "evidence:" in done.stdout and "it answers on no widths" in done.stdout, done.stdout
    again = subprocess.run([*base, *options.split()], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "Found by probing" not in again.stdout, again.stdout + again.stderr


def test_the_convention_is_the_one_owner_of_the_declared_fields():
    """The CLI's options and assignment.toml's keys are the Convention's fields, derived from the dataclass."""
    from crosscheck import marking
    from crosscheck.__main__ import _parser

    verify = _parser()._subparsers._group_actions[0].choices["verify"]  # type: ignore[union-attr]
    dests = {action.dest for action in verify._actions}
    assert set(DECLARED) <= dests
    assert set(DECLARED) <= set(marking.KEYS)


@needs_frameworks
def test_sigma_used_for_its_slope_is_named_so():
    """σ(z) where σ'(z) belongs in BP2 is named with the value it implies and that it is σ(z) itself."""
    result = crosscheck.check_implementation(outside.chapter_tuple("sigma_for_prime"), cases=40, dtypes=("float64",))
    assert "itself: σ used where σ' belongs" in result.report(), result.report()


@needs_frameworks
def test_an_update_mismatch_is_labelled_as_your_updated_parameters():
    """A per-sample convention's update that steps twice as far names your updated weights in your layout, never a
    sample's δ; and the report carries one diagnosis."""
    mine = Convention("layers", per_sample=True, cost="elements", half=False)
    result = crosscheck.check_implementation(
        "outside:per_sample_elements",
        convention=mine,
        update="outside:per_sample_elements_update_twice",
        outputs=3,
        cases=10,
        dtypes=("float64",),
        shrink=False,
    )
    report = result.report()
    assert result.step_failure is not None, report
    assert "(your updated " in report and "of sample" not in report, report
    assert report.count("Diagnosis") <= 1, report


@needs_frameworks
@pytest.mark.slow
def test_verify_needs_no_temporary_folder():
    """With TMPDIR pointing nowhere, verify runs to its verdict (your code's output goes down a pipe): exit 0 and no
    traceback, where it died on tempfile's 'No usable temporary directory'."""
    command = [sys.executable, "-m", "crosscheck", "verify", "examples.columns:backprop", "--cases", "20"]
    env = {**os.environ, "TMPDIR": "/nonexistent/crosscheck-tmp"}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout[-2000:] + done.stderr[-2000:]
