"""Checking real people's backprop: correct code passes whatever its float formulas, layout,
labels and regularizer; every planted slip is caught and named at the right equation (issue 25).

The implementations are in tests/people.py and examples/, written here in the styles people
use: a chapter's class, a course assignment's model object and notebook, a from-scratch book's
layers, a scalar autodiff engine, and plain functions in other formulations.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import people
import pytest
import slips
from conftest import PROFILE
from helpers import framework_available

import crosscheck
from crosscheck import Convention
from crosscheck.findings import EQUATIONS
from examples import book_layers, chapter_class, scalar_engine, step_by_step, two_layer

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.torch,
    pytest.mark.jax,
    pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="needs torch and jax"),
]
CASES = {"thorough": 1000, "ci": 300}.get(PROFILE, 100)
"""Cases per dtype: 300 under the ci profile (what CI runs), 1,000 under thorough, 100 in the quick dev run
(benchmarks/run.py's section 2c runs 1,000 per dtype in wider ranges)."""
SLIP_CASES = 200 if PROFILE == "thorough" else 40
"""Cases a planted slip's check draws: 40 in CI, where each of the 51 is caught and named exactly as at 200 (measured
on the whole corpus, in half the time); 200 under the thorough profile."""
SLIP_DTYPES = ("float64", "float32") if PROFILE == "thorough" else ("float64",)
"""The dtypes a planted slip's check sweeps: float64 alone in CI (the report is float64's first failure either way, and
each of the 51 is named as with both, in two thirds of the time); both under the thorough profile."""


def test_the_tables_are_as_large_as_promised():
    """At least 20 correct implementations and 30 planted slips, each slip naming a known equation."""
    assert len(people.CORRECT) >= 20 and len(people.SLIPS) >= 30
    assert {e.equation for e in people.SLIPS} <= set(EQUATIONS)
    assert len({e.name for e in people.CORRECT + people.SLIPS}) == len(people.CORRECT) + len(people.SLIPS)


QUICK = {
    "the summed cost, summed last to first",
    "a scalar autodiff engine, set order",
    "leaky relu by np.where, rows",
    "binary cross-entropy clipped at 1e-7",
}
"""The correct entries the quick (dev) profile runs, four styles apart; the ci and thorough profiles run every entry."""


@pytest.mark.parametrize(
    "entry",
    [pytest.param(e, marks=[] if e.name in QUICK else [pytest.mark.slow]) for e in people.CORRECT],
    ids=[e.name for e in people.CORRECT],
)
def test_a_correct_implementation_agrees_on_every_case(entry):
    """A correct implementation, however its σ, σ', sums, layout, targets or regularizer are written, has no false alarm."""
    result = crosscheck.check_implementation(entry.fn, cases=CASES, **entry.options)
    assert result.ok, result.report()
    assert sum(result.judged.values()) >= CASES, result.summary()  # a clip may leave some cases unjudged, never most


CORPUS = people.SLIPS + slips.SLIPS
"""The slips the diagnosis rate is measured on: tests/people.py's and tests/slips.py's."""


def test_the_diagnosis_corpus_holds_forty_slips_in_four_styles_or_more():
    """The corpus holds at least 40 slips, at least 4 interface styles among tests/slips.py's alone, each named once."""
    assert len(CORPUS) >= 40 and len({e.name for e in CORPUS}) == len(CORPUS)
    assert len({e.name.split(":")[0] for e in slips.SLIPS}) >= 4
    assert {e.equation for e in CORPUS} <= set(EQUATIONS)


@pytest.mark.slow  # 51 shrinks and diagnoses, 1-6 s each: CI's run, as test_diagnosis's buggy variants are
@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
def test_a_planted_slip_is_caught_and_its_equation_named(entry):
    """Each realistic slip fails the check, and the diagnosis names the equation it breaks (and the slip, where the
    table gives one); an update's slip is reported beside gradients that agree."""
    result = crosscheck.check_implementation(entry.fn, cases=SLIP_CASES, dtypes=SLIP_DTYPES, **entry.options)
    assert not result.ok, f"{entry.name}: not caught\n{result.report()}"
    if entry.equation == "update":
        assert result.failure is None and result.step_failure is not None, result.report()
        return
    assert result.failure is not None and result.failure.found is not None, result.report()
    found = result.failure.found
    assert found.equation == entry.equation, f"{entry.name}: named {found.equation}\n{result.report()}"
    assert not entry.slip or entry.slip in found.keys, f"{entry.name}: named {found.keys}, not {entry.slip}\n{result.report()}"


def test_sigma_through_tanh_agrees_with_a_note_on_its_precision():
    """σ = ½(1 + tanh(z/2)), σ' = s(1 − s) agrees; the note names the quantity, the range of z and the stable form."""
    result = crosscheck.check_implementation(people.columns_net("sigmoid_tanh"), cases=300)
    assert result.ok, result.report()
    note = result.report().split("\n\n")[-1]
    assert note.startswith("Note: your implementation is right, but less precise than the frameworks"), note
    assert re.search(r"at ∂C/∂[Wb]\^\d\[\d+, \d+\]", note) and re.search(r"z\^\d lies in \[-?\d", note), note
    assert "np.exp(-np.logaddexp(0, -z))" in note
    assert result.as_dict()["precision_note"] == note


def test_the_reference_keeps_its_strict_judgement():
    """The reference is judged at the strict (tail-accurate) scale, an implementation under test at any formulation's."""
    assert crosscheck.REFERENCE.formulation == "strict"
    assert crosscheck.implementation(people.promoted).formulation == "any"


def _noisy(relative):
    """A correct implementation whose every call adds independent noise of `relative` size."""
    rng = np.random.default_rng(0)
    correct = people.columns_net("sigmoid_tanh")

    def backprop(w, b, x, y):
        gW, gb = correct(w, b, x, y)
        return [g * (1 + relative * rng.standard_normal(g.shape)).astype(g.dtype) for g in gW], gb

    return backprop


def test_repeated_calls_are_compared_within_rounding():
    """Two calls that differ in the last bits (sums in another order) agree; a difference far above rounding is state."""
    assert crosscheck.check_implementation(_noisy(1e-17), cases=100, dtypes=["float64"]).ok
    state = crosscheck.check_implementation(_noisy(1e-9), cases=50, dtypes=["float64"], shrink=False)
    assert not state.ok
    assert "differs from the first's on the same inputs beyond rounding" in state.report(), state.report()


def _sometimes_wrong():
    """1 % off on the first two calls for an input, right on the next two, off again, ...: each
    check of a case calls twice, so a result that comes and goes from one check to the next."""
    seen: dict[bytes, int] = {}
    correct = people.columns_net("sigmoid_tanh")

    def backprop(w, b, x, y):
        key = x.tobytes() + w[0].tobytes()
        count = seen[key] = seen.get(key, 0) + 1
        gW, gb = correct(w, b, x, y)
        return ([g * 1.01 for g in gW] if (count - 1) // 2 % 2 == 0 else gW), gb

    return backprop


def test_a_failure_that_comes_and_goes_is_reported_intermittent_and_never_raises():
    """A flaky implementation fails with 'fails in k of n runs', its case rebuilt; the shrinker neither raises nor contradicts."""
    result = crosscheck.check_implementation(_sometimes_wrong(), cases=30, dtypes=["float64"], shrink=True)
    assert not result.ok and result.failure is not None
    assert result.failure.intermittent is not None, result.report()
    k, n = result.failure.intermittent
    report = result.report()
    assert 0 < k < n and f"fails in {k} of {n} runs of this same case" in report, report
    assert "the first failing case" in report and "Rebuild the case:" in report
    assert "Hypothesis shrank it to" not in report  # a result that comes and goes is not shrunk


def _one_output(w, b, x, y):
    if y.shape[0] != 1:  # a bare `assert` (pytest would rewrite one here to give it a message)
        raise AssertionError
    return step_by_step.backprop(w, b, x, y)


def test_code_that_asserts_one_output_is_found_to_take_one_and_judged_there():
    """Code that raises on every output width but 1 is never called wrong: with its layout declared and the structure
    left free, the probe finds it takes one output, the check draws that alone and says so; declared, the same."""
    options = dict(people.STEP)
    options.pop("outputs")
    found = crosscheck.check_implementation(_one_output, cases=30, shrink=False, **options)
    assert found.ok, found.report()
    assert found.found is not None and found.found.outputs == 1 and "--outputs 1" in found.report(), found.report()
    assert crosscheck.check_implementation(_one_output, cases=30, outputs=1, **options).ok


def test_an_empty_assertion_error_says_it_has_no_message():
    """An empty AssertionError raised where the structure is declared says '(with no message)'."""
    options = dict(people.STEP)
    options["outputs"] = 2
    refused = crosscheck.check_implementation(_one_output, cases=10, shrink=False, **options)
    assert "raised AssertionError (with no message)" in refused.report(), refused.report()


def test_a_float64_answer_to_a_float32_case_is_judged_with_a_note():
    """A result promoted to float64 on a float32 case is rounded and judged, and the report says so."""
    result = crosscheck.check_implementation(people.promoted, cases=50)
    assert result.ok, result.report()
    assert "returned float64 on float32 cases" in result.report()


def test_a_fixed_architecture_is_all_that_is_drawn():
    """sizes=(4, 10, 3) draws only that architecture: the two-layer model object is never given another (the spy
    runs in this process, isolate=False, so that what it saw is seen here)."""
    seen = []

    def spy(w, b, x, y):
        seen.append((x.shape[1], w[0].shape[1], w[1].shape[1]))
        return two_layer.backprop(w, b, x, y)

    assert crosscheck.check_implementation(spy, cases=20, isolate=False, **people.TWO_LAYER).ok
    assert {s for s in seen} == {(4, 10, 3)}


def test_the_l2_term_is_added_by_each_oracle_in_its_own_framework():
    """torch, jax and finite differences each add c·ΣW² themselves: the two-layer model agrees with all three."""
    result = crosscheck.check_implementation(
        two_layer.backprop, cases=20, oracles=("torch", "jax", "numeric"), **{k: v for k, v in people.TWO_LAYER.items()}
    )
    assert result.ok, result.report()


@pytest.mark.slow
def test_a_summed_gradient_with_a_mean_loss_is_a_slip_not_a_convention():
    """When the returned loss is the mean and the gradient N× the oracles', the report names the missing 1/N, not cost='sum'."""
    result = crosscheck.check_implementation(people.two_layer_net("no_mean"), cases=100, **people.TWO_LAYER)
    report = result.report()
    assert "the mean's 1/N left out of the gradient" in report and "convention, not a slip" not in report, report


@pytest.mark.slow
def test_a_bias_slip_where_the_weights_agree_is_bp3():
    """∂C/∂W^l agrees and ∂C/∂b^l does not: BP3, not BP1."""
    result = crosscheck.check_implementation(people.two_layer_net("db2_scaled"), cases=100, **people.TWO_LAYER)
    assert result.failure.found.equation == "BP3" and "look at BP3" in result.report()


def test_a_targets_mismatch_names_the_declaration():
    """Label-reading code given probabilities is told it agrees on labels and which targets= to declare."""
    result = crosscheck.check_implementation(people.labels_head(), cases=50, convention="columns", **people.LABELS)
    assert "declare the convention's targets='labels'" in result.report(), result.report()


def test_a_regularizer_slip_names_the_regularizer():
    """An L2 gradient at half its declared size is named as the L2 term, with its factor."""
    result = crosscheck.check_implementation(people.two_layer_net("half_reg"), cases=50, **people.TWO_LAYER)
    assert "your regularizer's gradient is 0.5× the declared one" in result.report(), result.report()


def test_a_weight_decay_slip_names_the_decay():
    """An update whose weight decay is doubled is told the decay it applies against the one declared."""
    options = {**people.CHAPTER, "update": people.chapter_update("decay_twice")}
    result = crosscheck.check_implementation(people.chapter_net(), cases=30, **options)
    assert "a weight decay of 0.2 in your update where the convention declares 0.1" in result.report(), result.report()


def test_an_undeclared_convention_field_is_refused_for_the_wrong_loss():
    """half=False is the quadratic cost's, a clip a log loss's, 0/1 targets not cross-entropy's: refused, naming the field."""
    for convention, loss, words in (
        (Convention("x", half=False), "binary_cross_entropy", "half=False"),
        (Convention("x", clip=1e-7), "quadratic", "clip=1e-07"),
        (Convention("x", targets="binary"), "cross_entropy", "targets='binary'"),
    ):
        with pytest.raises(ValueError, match=re.escape(words)):
            crosscheck.check_implementation(people.promoted, convention=convention, loss=loss, cases=1)


EXAMPLES = [chapter_class, two_layer, step_by_step, scalar_engine, book_layers]


@pytest.mark.parametrize("module", EXAMPLES, ids=[m.__name__.split(".")[-1] for m in EXAMPLES])
def test_each_examples_glue_is_at_most_ten_lines(module):
    """The glue under '# --- the glue' in each example is at most 10 lines of code."""
    source = Path(module.__file__).read_text().split("# --- the glue")[1].splitlines()[1:]
    code = [line for line in source if line.strip() and not line.strip().startswith(("#", "def ", '"""', "import"))]
    assert len(code) <= 10, code


def _returns_junk(w, b, x, y):
    return {"weights": "not arrays", "biases": None}


def _raises_keyboard(w, b, x, y):
    raise KeyError("W3")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "extra", "code", "words"),
    [
        ("test_people:_returns_junk", [], 1, "must be a list of arrays"),
        ("test_people:_raises_keyboard", [], 1, "raised KeyError"),
        ("examples.rows:backprop", ["--convention", "rows", "--dtypes", "float64", "--max-layers", "2"], 0, "float64 judged;"),
        ("examples.rows:backprop", ["--convention", "rows", "--sizes", "3,x"], 2, "argument --sizes"),
        ("examples.rows:backprop", ["--convention", "rows", "--clip", "0.7"], 2, "argument --clip"),
        ("examples.rows:backprop", ["--convention", "rows", "--clip", "0.01"], 2, "clips a log loss's argument"),
    ],
)
def test_verify_exits_0_1_or_2_with_the_declarations_and_never_a_traceback(target, extra, code, words):
    """`verify` with declarations on the command line exits 0, 1 or 2, and prints a report or a usage error, never a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "crosscheck", "verify", target, "--cases", "20", *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert words in done.stdout + done.stderr and "Traceback" not in done.stdout + done.stderr
