"""Every catalogue σ' and loss gradient of the reference keeps its relative accuracy, tails included,
against a 50-digit computation (mpmath): ≤ 1e-12 relative in float64 wherever the true value is a normal
number and z is more than 0.01 from a root of σ'; kinks keep their documented convention."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference import ACTIVATIONS, LOSSES

mpmath = pytest.importorskip("mpmath")
mp = mpmath.mp
mp.dps = 50
TINY = np.finfo(np.float64).tiny
RTOL = 1e-12


def _s(z):
    return 1 / (1 + mp.exp(-z))


def _gelu_tanh_prime(z):
    k, c = mp.sqrt(2 / mp.pi), mp.mpf("0.044715")
    u = k * (z + c * z**3)
    # (1 + tanh u)/2 and 1 − tanh² u as e^u/(e^u + e^{-u}) and sech² u: tanh u itself is within
    # 1e-51 of −1 in the lower tail, beyond 50 digits.
    return mp.exp(u) / (mp.exp(u) + mp.exp(-u)) + z * mp.sech(u) ** 2 * k * (1 + 3 * c * z * z) / 2


# σ' in 50 digits, written from the textbook formulas (not the reference's code), and the roots of σ'.
EXACT = {
    "sigmoid": (lambda z: _s(z) * _s(-z), ()),
    "tanh": (lambda z: 1 / mp.cosh(z) ** 2, ()),
    "relu": (lambda z: mp.mpf(1) if z > 0 else mp.mpf(0), ()),
    "leaky_relu": (lambda z: mp.mpf(1) if z > 0 else mp.mpf("0.01"), ()),
    "elu": (lambda z: mp.mpf(1) if z > 0 else mp.exp(z), ()),
    "softplus": (lambda z: _s(z), ()),
    "silu": (lambda z: _s(z) * (1 + z * _s(-z)), (-1.2784645427610738,)),
    "gelu": (lambda z: mp.ncdf(z) + z * mp.npdf(z), (-0.7517915241,)),
    "gelu_tanh": (_gelu_tanh_prime, (-0.7517856,)),
    "identity": (lambda z: mp.mpf(1), ()),
}


def grid() -> np.ndarray:
    """z over [−700, 700]: evenly, densely near 0, and at the tails where the textbook forms cancel."""
    tails = [-60.0, -36.7, -19.0, -11.2, -8.4, 8.4, 11.2, 19.0, 36.7, 60.0]
    return np.unique(np.concatenate([np.linspace(-700, 700, 1401), np.linspace(-12, 12, 961), tails]))


def test_every_element_wise_activation_has_an_exact_derivative_here():
    """The accuracy test covers the whole catalogue: adding an activation means adding its 50-digit σ' here."""
    elementwise = {name for name, entry in ACTIVATIONS.items() if entry.elementwise}
    assert elementwise == set(EXACT), (
        f"add a 50-digit σ' to EXACT in tests/test_derivatives.py for {sorted(elementwise - set(EXACT))}"
    )


@pytest.mark.parametrize("name", sorted(EXACT))
def test_the_derivative_keeps_its_relative_accuracy_in_the_tails(name):
    """σ'(z) from the reference is within 1e-12 of the 50-digit value, relatively, over z ∈ [−700, 700]."""
    entry = ACTIVATIONS[name]
    exact, roots = EXACT[name]
    z = grid()
    if entry.kinks:
        z = z[~np.isin(z, entry.kinks)]  # at a kink the convention rules (tested in test_catalogue)
    got = entry.derivative(z, entry.function(z))
    worst, where = 0.0, None
    for zi, gi in zip(z.tolist(), got.tolist()):
        if any(abs(zi - r) <= 0.01 for r in roots):
            continue
        true = exact(mp.mpf(zi))
        if abs(true) < TINY:
            continue
        error = float(abs((mp.mpf(gi) - true) / true))
        if error > worst:
            worst, where = error, (zi, gi, float(true))
    assert worst <= RTOL, f"{name}': relative error {worst:.2e} at z = {where[0]} (got {where[1]!r}, true {where[2]!r})"


def test_the_softmax_jacobian_keeps_its_relative_accuracy():
    """J = diag(a) − a aᵀ of the reference is within 1e-12 of the 50-digit value, element by element, including
    outputs within ε of 1 (where 1 − a_j cancels)."""
    rng = np.random.default_rng(0)
    entry = ACTIVATIONS["softmax"]
    columns = [rng.uniform(-40, 40, size=3) for _ in range(200)] + [np.array([40.0, 0.0, -3.0]), np.array([700.0, 0.0, 1.0])]
    z = np.stack(columns, axis=1)
    J = entry.derivative(z, entry.function(z))
    worst = 0.0
    for x, column in enumerate(columns):
        e = [mp.exp(mp.mpf(float(v))) for v in column]
        total = sum(e)
        a = [v / total for v in e]
        for j in range(3):
            for k in range(3):
                true = a[j] * ((1 if j == k else 0) - a[k])
                if abs(true) < TINY:
                    continue
                worst = max(worst, float(abs((mp.mpf(float(J[x, j, k])) - true) / true)))
    assert worst <= RTOL, f"softmax Jacobian: relative error {worst:.2e}"


EXACT_LOSS_GRADIENTS = {
    "quadratic": lambda a, y, N: (a - y) / N,
    "binary_cross_entropy": lambda a, y, N: (a - y) / (a * (1 - a) * N),
    "cross_entropy": lambda a, y, N: -y / (a * N),
    "huber": lambda a, y, N: max(-1, min(1, a - y)) / N,
}


def test_every_loss_has_an_exact_gradient_here():
    """The accuracy test covers every loss of the catalogue."""
    assert set(LOSSES) == set(EXACT_LOSS_GRADIENTS), f"add a 50-digit ∇_a C for {sorted(set(LOSSES) - set(EXACT_LOSS_GRADIENTS))}"


@pytest.mark.parametrize("name", sorted(EXACT_LOSS_GRADIENTS))
def test_the_loss_gradient_keeps_its_relative_accuracy(name):
    """∇_a C from the reference is within 1e-12 of the 50-digit value, relatively, including outputs near 0 and 1."""
    rng = np.random.default_rng(1)
    n, N = 3, 400
    a = np.concatenate([rng.uniform(1e-12, 1 - 1e-12, size=(n, N - 4)), np.array([[1e-300, 1 - 1e-16, 0.5, 1e-8]] * n)], axis=1)
    if name == "cross_entropy":
        y = rng.dirichlet(np.ones(n), size=N).T
    elif name == "binary_cross_entropy":
        y = rng.uniform(size=(n, N))
    else:
        y = rng.normal(0, 1.5, size=(n, N))
    got = LOSSES[name].gradient(a, y)
    worst = 0.0
    for j in range(n):
        for x in range(N):
            true = EXACT_LOSS_GRADIENTS[name](mp.mpf(float(a[j, x])), mp.mpf(float(y[j, x])), N)
            if abs(true) < TINY or not math.isfinite(float(got[j, x])):
                continue
            worst = max(worst, float(abs((mp.mpf(float(got[j, x])) - true) / true)))
    assert worst <= RTOL, f"∇_a C of {name}: relative error {worst:.2e}"
