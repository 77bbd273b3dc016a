"""crosscheck.judge: the one acceptance rule, |diff| ≤ rtol·S + cost_rtol·S_C + e, and the report's fixed
format: NaN and overflowed scales, structural mismatches, per-call tolerances, who is blamed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import require

import crosscheck
from crosscheck.case import Case
from crosscheck.judge import judge
from crosscheck.tolerances import AUTOGRAD, AUTOGRAD_KIND, FINITE_DIFFERENCES_KIND, Tolerance
from reference import Gradients, Network


def _slipped(g: Gradients, quantity: str, layer: int, relative: float) -> Gradients:
    """`g` with one tensor scaled by (1 + relative)."""
    tensors = [t.copy() for t in getattr(g, quantity)]
    tensors[layer] = tensors[layer] * (1 + relative)
    return dataclasses.replace(g, **{quantity: tensors})


def test_an_exact_zero_difference_passes_even_at_a_zero_tolerance():
    """A difference of exactly 0 passes where the allowed error is 0; any other difference fails there."""
    zero = Tolerance(rtol=0.0)
    same = judge(np.array([1.0]), np.array([1.0]), scale=0.0, tolerance=zero, kind=AUTOGRAD_KIND)
    off = judge(np.array([1.0]), np.array([1.0 + 1e-16 * 2]), scale=0.0, tolerance=zero, kind=AUTOGRAD_KIND)
    assert same.ratio[0] == 0.0 and off.ratio[0] == np.inf


def test_the_rule_adds_its_three_terms():
    """allowed = rtol·S + cost_rtol·S_C + e, element by element (broadcast)."""
    tol = Tolerance(rtol=1e-3, cost_rtol=1e-6)
    judged = judge(
        np.zeros(2),
        np.zeros(2),
        scale=np.array([1.0, 2.0]),
        tolerance=tol,
        kind=FINITE_DIFFERENCES_KIND,
        cost_scale=10.0,
        error=np.array([0.5, 0.0]),
    )
    np.testing.assert_allclose(judged.allowed, [1e-3 + 1e-5 + 0.5, 2e-3 + 1e-5])


def test_the_report_says_everything():
    """A mismatch names the quantity, layer, element, both values, diff, tolerance, oracles, verdict and a snippet."""
    require("torch")
    require("jax")

    class WrongBP4(Network):
        def backward(self, x, y):
            g = super().backward(x, y)
            g.weights[1][1, 0] += 1e-3
            return g

    base = Network.random((2, 3, 2), seed=3)
    x, y = np.ones((2, 4)), np.zeros((2, 4))
    case = Case(WrongBP4(base.weights, base.biases), x, y, origin="seed 3")
    result = crosscheck.check_case(case, ["torch", "jax"])
    assert not result.ok
    report = result.report()
    first = report.splitlines()[0]
    for words in (
        "∂C/∂W^3[1, 0]",
        "(the reference), but torch and jax give",
        "|diff| 1.0e-03 > tol",
        "(1 of 6 elements off)",
        "[sigmoid/quadratic, sizes (2, 3, 2), N=4, float64, seed 3]",
    ):
        assert words in first, f"{words!r} not in {first!r}"
    assert "torch and jax all disagree with the reference: the reference is wrong" in report
    assert "crosscheck.check_case(case, oracles=['torch', 'jax']).assert_ok()" in report


def test_verdict_blames_the_lone_dissenting_oracle():
    """When one oracle disagrees and the others agree with the reference, the verdict suspects that oracle."""
    net = Network.random((2, 2, 1), seed=0)
    case = Case(net, np.ones((2, 3)), np.zeros((1, 3)))
    reference = net.backward(case.x, case.y)
    good = crosscheck.compare(reference, reference, case=case, oracle_name="jax")
    bad = crosscheck.compare(reference, _slipped(reference, "biases", 0, 1e-3), case=case, oracle_name="torch")
    verdict = crosscheck.CaseCheck(case, reference, {"torch": bad, "jax": good}).verdict()
    assert verdict == "only torch disagrees with the reference; jax agree(s) with it: suspect the torch oracle or its tolerance"


def test_compare_judges_at_the_scales_given_and_refuses_without_them():
    """With scales, an element passes when |diff| ≤ rtol · S, per-call tolerances override; without a case or scales
    the comparison is refused (judging a tensor by its own largest element cries wolf on correct float32 code)."""
    g = Gradients(1.0, [np.array([[1.0, 1e-9]])], [np.array([[2.0]])], [np.array([[4.0]])])
    near = Gradients(1.0, [np.array([[1.0, 1e-9 + 5e-14]])], [np.array([[2.0]])], [np.array([[4.0]])])
    unit = Gradients(1.0, [np.ones((1, 2))], [np.ones((1, 1))], [np.ones((1, 1))])
    rtol = AUTOGRAD[np.dtype(np.float64)].rtol
    assert crosscheck.compare(g, near, scales=unit).ok == (rtol * 1.0 >= 5e-14)
    assert not crosscheck.compare(g, near, scales=unit, tolerances=crosscheck.Tolerance(rtol=1e-15)).ok
    assert crosscheck.compare(g, near, scales=unit, tolerances=crosscheck.Tolerance(rtol=1e-12)).ok
    with pytest.raises(ValueError, match=r"compare needs case= \(or scales=\) to judge soundly"):
        crosscheck.compare(g, near)


def test_nan_is_a_mismatch_except_where_finite_differences_skip():
    """NaN from an autograd oracle or from the reference fails; NaN from finite differences is counted as skipped."""
    g = Gradients(1.0, [np.array([[1.0, 2.0]])], [np.array([[2.0]])], [np.array([[4.0]])])
    holed = dataclasses.replace(g, deltas=[np.array([[1.0, np.nan]])])
    unit = Gradients(1.0, [np.ones((1, 2))], [np.ones((1, 1))], [np.ones((1, 1))])
    assert not crosscheck.compare(g, holed, scales=unit).ok
    assert not crosscheck.compare(holed, g, scales=unit, kind="finite differences").ok
    skipped = crosscheck.compare(g, holed, scales=unit, kind="finite differences")
    assert skipped.ok and skipped.tensors[1].skipped == 1 and skipped.tensors[1].checked == 1


def test_an_overflowed_scale_judges_nothing():
    """Where an element's scale is inf (or NaN), any nonzero difference fails and only exact equality passes."""
    g = Gradients(1.0, [np.array([[1.0, 2.0]])], [np.array([[2.0]])], [np.array([[4.0]])])
    near = dataclasses.replace(g, deltas=[np.array([[1.0, 2.0 * (1 + 1e-15)]])])
    for bad in (np.inf, np.nan):
        scales = dataclasses.replace(g, deltas=[np.array([[1.0, bad]])])
        assert crosscheck.compare(g, g, scales=scales).ok, f"exact equality failed against a scale of {bad}"
        comparison = crosscheck.compare(g, near, scales=scales)
        assert not comparison.ok and comparison.tensors[1].ratio == np.inf, f"a scale of {bad} let a difference pass"
        assert f"and the tolerance is {bad} (an overflowed scale)" in comparison.report(), comparison.report()


def test_shape_and_dtype_mismatches_are_reported():
    """An oracle tensor of the wrong shape or dtype fails with the reason, naming the quantity."""
    g = Gradients(1.0, [np.zeros((2, 3))], [np.zeros((2, 2))], [np.zeros((2, 1))])
    wrong = dataclasses.replace(g, deltas=[np.zeros((3, 2))], biases=[np.zeros((2, 1), np.float32)])
    comparison = crosscheck.compare(g, wrong, scales=g, oracle_name="torch")
    report = comparison.report()
    assert "δ^2: shape (2, 3) (the reference) but (3, 2) (oracle) (torch)" in report
    assert "∂C/∂b^2: dtype float64 (the reference) but float32 (oracle) (torch)" in report
