"""crosscheck.scales: each named step of the error scale bounds the rounding error of the quantity it is
for, measured on float32 cases against the same computation in float64 (2^29 times more precise), within
the autograd margin (rtol/ε = 17 in float32); and the steps together are `stacked_magnitudes`."""

from __future__ import annotations

import numpy as np
import pytest

from crosscheck import scales
from crosscheck.strategies import random_cases
from crosscheck.tolerances import AUTOGRAD
from reference import Network

F32 = np.dtype(np.float32)
MARGIN = AUTOGRAD[F32].rtol / float(np.finfo(F32).eps)
"""How many ε·S an element may be off: the autograd table's own margin."""


def _cases(count: int = 200, seed: int = 11) -> list:
    """float32 cases of every loss but cross_entropy: its float32 targets sum to 1 only within float32's
    rounding, so the float64 recomputation would refuse them (the property tests hold it against the frameworks)."""
    drawn = random_cases(np.random.default_rng(seed), count, dtype=F32, max_layers=4, max_width=6, max_batch=5)
    return [case for case in drawn if case.network.loss.name != "cross_entropy"]


def _in_float64(network: Network) -> Network:
    """The same parameters (exactly: float32 values are float64 values) in float64."""
    return Network(
        [W.astype(np.float64) for W in network.weights],
        [b.astype(np.float64) for b in network.biases],
        activation=network.activation.name,
        output_activation=network.output_activation.name,
        loss=network.loss.name,
    )


def _steps(case):
    net = case.network
    p = scales.Precision.of(net.dtype)
    Ws = [W.astype(np.float64) for W in net.weights]
    bs = [b.astype(np.float64) for b in net.biases]
    y = case.y.astype(np.float64)
    f = scales.forward_errors(Ws, bs, case.x, *case.names[:2], p)
    top = scales.output_delta(f, y, case.names[2], case.names[1], None, p)
    Ms, Ss = scales.carried_deltas(Ws, f, top, p)
    W_S, b_S = scales.batch_sums(Ms, Ss, f, top.tangent_flush, p)
    cost = scales.cost_scale(f, y, case.names[2], top.g, None, p)
    return p, f, top, Ss, W_S, b_S, cost


def _within(got, exact, S, eps, what, case, *, floor=0.0):
    error = np.abs(np.asarray(got, dtype=np.float64) - np.asarray(exact, dtype=np.float64))
    allowed = MARGIN * eps * np.asarray(S) + floor
    over = error > allowed
    assert not over.any(), (
        f"{what}: rounding error {error[over].max():.3g} beyond {MARGIN:.0f} ε·S = {allowed[over].min():.3g} {case.label}"
    )


def test_forward_errors_bound_the_forward_pass():
    """E(a^l) bounds |a^l in float32 − a^l in float64| at every layer (forward_errors' rows Z^l and E(a^l)), above
    float32's underflow: a value below `tiny` may come out as 0 (a softmax output of 1e-77), which the later steps'
    floor U = tiny/ε² covers where it reaches a judged quantity."""
    for case in _cases():
        p, f, *_ = _steps(case)
        got = case.network.forward(case.x)[1]
        exact = _in_float64(case.network).forward(case.x.astype(np.float64))[1]
        for l, (a32, a64, E) in enumerate(zip(got, exact, f.E), start=1):
            _within(a32, a64, E, p.eps, f"a^{l}", case, floor=p.tiny)


def test_output_delta_bounds_bp1():
    """S(δ^L) from output_delta bounds the float32 rounding of BP1's δ^L."""
    for case in _cases():
        p, _, top, *_ = _steps(case)
        got = case.network.backward(case.x, case.y).deltas[-1]
        exact = _in_float64(case.network).backward(case.x.astype(np.float64), case.y.astype(np.float64)).deltas[-1]
        _within(got, exact, top.S, p.eps, "δ^L", case)


def test_carried_deltas_bound_bp2():
    """S(δ^l) from carried_deltas bounds the float32 rounding of every δ^l below the output (BP2)."""
    deep = [case for case in _cases(300) if case.network.L > 2]
    assert deep, "no case deep enough to carry a δ"
    for case in deep:
        p, _, _, Ss, *_ = _steps(case)
        got = case.network.backward(case.x, case.y).deltas
        exact = _in_float64(case.network).backward(case.x.astype(np.float64), case.y.astype(np.float64)).deltas
        for l, (d32, d64, S) in enumerate(zip(got[:-1], exact[:-1], Ss[:-1]), start=2):
            _within(d32, d64, S, p.eps, f"δ^{l}", case)


def test_batch_sums_bound_bp3_and_bp4():
    """S(∂C/∂W^l) and S(∂C/∂b^l) from batch_sums bound the float32 rounding of BP4 and BP3."""
    for case in _cases():
        p, _, _, _, W_S, b_S, _ = _steps(case)
        got = case.network.backward(case.x, case.y)
        exact = _in_float64(case.network).backward(case.x.astype(np.float64), case.y.astype(np.float64))
        for l, (g, e, S) in enumerate(zip(got.weights, exact.weights, W_S), start=2):
            _within(g, e, S, p.eps, f"∂C/∂W^{l}", case)
        for l, (g, e, S) in enumerate(zip(got.biases, exact.biases, b_S), start=2):
            _within(g, e, S, p.eps, f"∂C/∂b^{l}", case)


def test_cost_scale_bounds_the_cost():
    """S(C) from cost_scale bounds the float32 rounding of the cost."""
    for case in _cases():
        p, *_, cost = _steps(case)
        got = case.network.backward(case.x, case.y).loss
        exact = _in_float64(case.network).backward(case.x.astype(np.float64), case.y.astype(np.float64)).loss
        _within(got, exact, cost, p.eps, "C", case)


def test_the_steps_are_stacked_magnitudes():
    """stacked_magnitudes is exactly its five steps in order (no hidden extra work)."""
    for case in _cases(20):
        _, _, _, Ss, W_S, b_S, cost = _steps(case)
        whole = scales.magnitudes(case)
        assert whole.loss == float(cost)
        for mine, theirs in zip((*Ss, *W_S, *b_S), (*whole.deltas, *whole.weights, *whole.biases)):
            np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_quadrature_lies_between_its_bounds(dtype):
    """√(P² @ e²) lies between |P| @ |e| / √m and |P| @ |e|, also where the squares under- or overflow."""
    rng = np.random.default_rng(0)
    for magnitude in (1e-200, 1.0, 1e200):
        P = rng.standard_normal((3, 4)) * magnitude
        e = np.abs(rng.standard_normal((4, 2))) * magnitude
        with np.errstate(all="ignore"):
            q = scales._quadrature(P, e)
        with np.errstate(all="ignore"):
            linear = np.abs(P) @ e
        assert np.all(q <= linear * (1 + 1e-12)) and np.all(q >= linear / 2 * (1 - 1e-12)), (magnitude, q, linear)
