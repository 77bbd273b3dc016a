"""crosscheck.diagnosis: the equation implicated and the slip named, read from structured problems and slip
keys (never from a message's words): every buggy implementation and every gradient mutant is named by key, a
convention is called one, and rewording every message changes no diagnosis."""

from __future__ import annotations

import os

import buggy
import numpy as np
import pytest
from helpers import framework_available

import crosscheck
from crosscheck import problems
from crosscheck.case import Case
from crosscheck.certificate.controls import hunt
from crosscheck.convention import Convention
from crosscheck.diagnosis import diagnose
from crosscheck.findings import SLIPS
from crosscheck.judge import TensorCheck
from crosscheck.mutants import MUTANTS
from crosscheck.problems import Problem
from reference import Gradients, Network

needs_frameworks = pytest.mark.skipif(
    not (framework_available("torch") and framework_available("jax")), reason="check_implementation's oracles: torch and jax"
)

BUGGY_CASES = 200 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 40
"""Cases a buggy variant's check draws: 40 in CI, as for tests/test_people.py's planted slips; 200 under thorough."""
BUGS = [
    # (variant, the equation implicated, the key of the named slip: crosscheck.diagnosis.SLIPS)
    ("sign", "BP1", "sign"),
    ("sigma_prime_of_a", "BP1", "sigma_prime_of_a"),
    ("bp1_no_sigma_prime", "BP1", "bp1_without_sigma_prime"),
    ("no_sigma_prime_hidden", "BP2", "bp2_without_sigma_prime"),
    ("literal_recursion", "BP2", "literal_recursion"),
    ("one_layer_early", "BP2", "all_zeros"),  # its first layer left at zero
    ("transposed_hidden_dW", "BP4", "transposed"),
    ("bias_wrong_axis", "BP3", "bias_wrong_axis"),
    ("bias_first_sample", "BP3", "bias_first_sample"),
    ("mean_in_bp3", "BP3", "one_over_n_twice"),
    ("without_deltas_no_sigma_prime_hidden", "BP2", "bp2_without_sigma_prime"),
    ("accumulating", "", "accumulates"),
    ("nan_gradients", "BP4", "non_finite"),
]


@needs_frameworks
@pytest.mark.slow
@pytest.mark.parametrize(("variant", "equation", "slip"), BUGS, ids=[b[0] for b in BUGS])
def test_each_buggy_variant_is_caught_and_diagnosed(variant, equation, slip):
    """A buggy implementation fails, and its diagnosis names the equation implicated and the slip (by key); the
    report speaks of your implementation and shows the slip's words."""
    result = crosscheck.check_implementation(getattr(buggy, variant), cases=BUGGY_CASES)
    assert not result.ok, f"{variant} passed"
    found = result.failure.diagnosis()
    assert found is not None
    assert found.equation == equation, f"{variant}: diagnosed {found.equation!r}, expected {equation!r}\n{result.report()}"
    assert slip in found.keys, f"{variant}: slips {found.keys}\n{result.report()}"
    report = result.report()
    assert "your implementation" in report and "(the reference)" not in report
    named = next(s for s in found.slips if s.key == slip)
    assert named.text in report


@pytest.mark.slow
@needs_frameworks
def test_a_summed_cost_declared_as_mean_is_reported_as_a_convention():
    """Summing the cost where the mean is declared reads as a convention (declare cost='sum'), not as 'wrong';
    declared, it passes."""
    result = crosscheck.check_implementation(buggy.sum_not_mean, convention="columns", cases=200)
    assert not result.ok
    report = result.report()
    assert "by a convention, not an error in the derivation" in report
    assert "declare the convention cost='sum'" in report
    assert "is wrong" not in report
    declared = crosscheck.check_implementation(buggy.sum_not_mean, convention=Convention("summed", cost="sum"), cases=200)
    assert declared.ok, declared.report()


@pytest.mark.slow
@needs_frameworks
def test_a_kink_convention_is_a_convention_and_passes_when_declared():
    """relu'(0) = 1 fails only where z sits exactly on the kink, is reported as a convention, and passes with kink='right'."""
    options = {"activation": "relu", "output_activation": "sigmoid", "cases": 300}
    result = crosscheck.check_implementation(buggy.relu_right_slope, **options)
    assert not result.ok
    assert "a convention, not a slip" in result.report() and "kink='right'" in result.report()
    declared = crosscheck.check_implementation(buggy.relu_right_slope, convention=Convention("mine", kink="right"), **options)
    assert declared.ok, declared.report()
    assert declared.counts.unjudged > 0, "no case put z on the kink: the declared convention was never exercised"


@pytest.mark.slow
@pytest.mark.skipif(not framework_available("torch"), reason="diagnosed against the torch oracle")
@pytest.mark.parametrize("name", sorted(n for n, m in MUTANTS.items() if m.check == "gradients"))
def test_every_mutant_is_diagnosed_by_name(name):
    """On its shrunk counterexample, each gradient mutant's diagnosis names an equation and one of the slip keys the
    mutant declares (`Mutant.slips`), linked by key, not by the report's words."""
    from crosscheck import check_case
    from crosscheck.case import Case

    mutant = MUTANTS[name]
    assert mutant.slips, f"{name} declares no slip key its diagnosis must name"
    catch = hunt(mutant, "torch", max_examples=300)
    assert catch is not None, f"{name} was not caught"
    case = catch.counterexample
    result = check_case(Case(mutant.build(case.network), case.x, case.y), ["torch"])
    found = result.diagnosis()
    assert found is not None and found.equation, result.report()
    assert set(found.keys) & set(mutant.slips), f"{name}: named {found.keys}, expected one of {mutant.slips}\n{result.report()}"
    assert "It looks like" in result.report()


def test_every_mutant_declares_known_slip_keys():
    """Every key a mutant declares is one the diagnosis can name (a typo would make its diagnosis test vacuous)."""
    from crosscheck.findings import SLIPS

    unknown = {name: [k for k in m.slips if k not in SLIPS] for name, m in MUTANTS.items()}
    assert not any(unknown.values()), {n: k for n, k in unknown.items() if k}


def _structural(problem: Problem, sizes=(2, 3, 2), N: int = 4):
    case = Case(Network.random(sizes, seed=0), np.ones((sizes[0], N)), np.zeros((sizes[-1], N)))
    return diagnose(case, Gradients(0.0, [], [], []), (TensorCheck.structural(problem),), None)


@pytest.mark.parametrize(
    ("problem", "equation", "key"),
    [
        (Problem("shape", "weights", 3, got=(3, 2), want=(2, 3)), "BP4", "transposed"),
        (Problem("shape", "biases", 2, got=(4, 1), want=(3, 1)), "BP3", "bias_wrong_axis"),
        (Problem("layers", "weights", got=1, want=2), "", "stops_early"),
        (Problem("accumulates", "weights", 2), "", "accumulates"),
    ],
)
def test_a_structural_problem_is_diagnosed_from_its_data(problem, equation, key):
    """A problem's kind and data (shapes, counts), not its sentence, give the equation and the slip."""
    found = _structural(problem)
    assert found.equation == equation and key in found.keys, found


def test_rewording_every_message_changes_no_diagnosis(monkeypatch):
    """With every problem's message replaced by nonsense, each structural diagnosis names the same equation and
    slips: nothing parses a sentence."""
    cases = [
        Problem("shape", "weights", 3, got=(3, 2), want=(2, 3)),
        Problem("shape", "biases", 2, got=(4, 1), want=(3, 1)),
        Problem("layers", "weights", got=1, want=2),
        Problem("accumulates", "weights", 2),
    ]
    before = [(_structural(p).equation, _structural(p).keys) for p in cases]
    monkeypatch.setattr(problems, "_MESSAGES", {kind: (lambda p, who: "reworded") for kind in problems.KINDS})
    after = [(_structural(p).equation, _structural(p).keys) for p in cases]
    assert before == after
    assert _structural(cases[0]).problem.message() == "reworded"


def test_every_slip_key_is_known():
    """A slip can only be named by a key of SLIPS (a typo fails at once)."""
    from crosscheck.findings import Slip

    with pytest.raises(ValueError, match="slip key must be one of"):
        Slip("sigma_forgotten", "words")
    assert "transposed" in SLIPS


# --- the signatures issue 36 asked for, each on one hand-made case (the corpus in tests/slips.py runs them end to end)
def _truth(net: Network, x, y):
    """The derivation's gradients of the case, in columns (δ, ∂C/∂W, ∂C/∂b): the answer each slip below perturbs."""
    g = net.backward(x, y)
    return [d.copy() for d in g.deltas], [w.copy() for w in g.weights], [b.copy() for b in g.biases]


def _diagnosed(net: Network, x, y, fn):
    result = crosscheck.check_case(Case(net, x, y), ["torch"], implementation=crosscheck.implementation(fn, isolate=False))
    assert not result.ok, result.report()
    return result.diagnosis(), result.report()


@pytest.mark.torch
@pytest.mark.skipif(not framework_available("torch"), reason="needs torch")
def test_a_dead_relu_layer_vouches_for_no_delta_so_a_bias_slip_above_it_is_bp1():
    """Where a^{L−1} is all zeros, an agreeing ∂C/∂W^L says nothing of δ^L: a departing ∂C/∂b^L is BP1, not BP3."""
    net = Network.random((2, 3, 2), seed=1, activation="relu", output_activation="softmax", loss="cross_entropy")
    net.biases[0][:] = -50.0  # every hidden z < 0: a^2 = 0
    x, y = np.ones((2, 1)), np.array([[1.0], [0.0]])

    def no_minus_y(weights, biases, x_, y_):
        _, W, b = _truth(net, x, y)
        b[-1] = b[-1] + y  # δ^L without its − y
        return W, b

    found, report = _diagnosed(net, x, y, no_minus_y)
    assert found.equation == "BP1", report


@pytest.mark.torch
@pytest.mark.skipif(not framework_available("torch"), reason="needs torch")
def test_one_samples_share_where_the_sum_belongs_is_a_lost_accumulation():
    """∂C/∂b^L equal to the last sample's δ^L where BP3 sums them all is named a lost accumulation (= for +=)."""
    net = Network.random((2, 3, 2), seed=2)
    x, y = np.random.default_rng(0).normal(size=(2, 3)), np.full((2, 3), 0.5)

    def overwritten(weights, biases, x_, y_):
        d, W, b = _truth(net, x, y)
        b[-1] = d[-1][:, -1:].copy()
        return W, b

    found, report = _diagnosed(net, x, y, overwritten)
    assert "lost_accumulation" in found.keys, report


@pytest.mark.torch
@pytest.mark.skipif(not framework_available("torch"), reason="needs torch")
def test_sigma_prime_kept_in_a_cross_entropy_delta_is_named():
    """A sigmoid output with binary cross-entropy whose δ^L keeps σ'(z^L) = a(1 − a): BP1, σ' kept."""
    net = Network.random((2, 3, 2), seed=3, loss="binary_cross_entropy")
    x, y = np.random.default_rng(1).normal(size=(2, 2)), np.full((2, 2), 0.25)

    def kept(weights, biases, x_, y_):
        d, _, _ = _truth(net, x, y)
        a = net.forward(x)[1][-1]
        d[-1] = d[-1] * a * (1 - a)
        for l in range(len(d) - 2, -1, -1):
            a_l = net.forward(x)[1][l + 1]
            d[l] = (net.weights[l + 1].T @ d[l + 1]) * a_l * (1 - a_l)
        acts = net.forward(x)[1]
        return {"weights": [dl @ acts[i].T for i, dl in enumerate(d)], "biases": [dl.sum(1, keepdims=True) for dl in d],
                "deltas": d}  # fmt: skip

    found, report = _diagnosed(net, x, y, kept)
    assert found.equation == "BP1" and "sigma_prime_kept" in found.keys, report


@pytest.mark.torch
@pytest.mark.skipif(not framework_available("torch"), reason="needs torch")
def test_the_product_rule_with_the_wrong_operand_is_named_at_bp4():
    """∂C/∂W^L = W^L ⊙ Σ_n δ^L (the weight where its input belongs) is BP4, the product rule's wrong operand."""
    net = Network.random((2, 3, 2), seed=4)
    x, y = np.random.default_rng(2).normal(size=(2, 2)), np.full((2, 2), 0.5)

    def wrong_operand(weights, biases, x_, y_):
        d, W, b = _truth(net, x, y)
        W[-1] = net.weights[-1] * d[-1].sum(axis=1, keepdims=True)
        return W, b

    found, report = _diagnosed(net, x, y, wrong_operand)
    assert found.equation == "BP4" and "product_rule_operand" in found.keys, report


@needs_frameworks
@pytest.mark.slow
def test_a_crash_off_square_layers_is_shown_beside_the_slip_it_shows_on_square_ones():
    """Code that raises on the drawn shapes (W^{l+1} untransposed in BP2) gets both: the crash on the minimal case, and
    a case where it runs with the slip it shows there, named (BP2, W^{l+1} untransposed)."""
    import slips

    result = crosscheck.check_implementation(slips.columns_with_deltas("untransposed"), cases=50, isolate=False)
    report = result.report()
    assert "your implementation raised ValueError" in report and "On another case it runs, and disagrees:" in report, report
    assert result.failure.found.equation == "BP2" and "weights_not_transposed" in result.failure.found.keys, report
    assert result.as_dict()["failure"]["revealed"]["diagnosis"]["equation"] == "BP2"
