"""Every catalogue σ' and loss gradient of the reference keeps its relative accuracy, tails included,
against a 50-digit computation (mpmath): ≤ 1e-12 relative in float64 wherever the true value is a normal
number and z is more than 0.01 from a root of σ'; kinks keep their documented convention. Each counterpart's
`derivative_error` is the size of what the frameworks' own σ' makes, measured against the same 50 digits.

The built-in activations have σ' written here by hand from the textbook formulas; an activation added at run time
(README, "Use 2") is covered by differentiating its counterpart's 50-digit σ (`mpmath=`) in 50 digits."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from crosscheck import counterparts
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


ELEMENTWISE = sorted(name for name, entry in ACTIVATIONS.items() if entry.elementwise)


@functools.cache
def exact_derivative(name: str):
    """σ' in 50 digits and the roots of σ' (where relative accuracy is not asked): the hand-written formula above,
    or, for an activation added at run time, mpmath's derivative of its counterpart's 50-digit σ, with the roots
    found where that σ' changes sign on the grid. None where neither exists."""
    if name in EXACT:
        return EXACT[name]
    sigma = counterparts.activation(name).mpmath
    if sigma is None:
        return None

    def prime(z):
        return mp.diff(lambda t: sigma(mp, t), z)

    z = np.linspace(-12, 12, 2401)
    values = [prime(mp.mpf(float(v))) for v in z]
    roots = tuple(
        float(mp.findroot(prime, (mp.mpf(float(z[i])), mp.mpf(float(z[i + 1]))), solver="anderson"))
        for i in range(len(z) - 1)
        if values[i] * values[i + 1] < 0
    )
    return prime, roots


def test_every_element_wise_activation_has_an_exact_derivative_here():
    """The accuracy tests cover the whole catalogue, and an activation added at run time through its counterpart's
    50-digit σ: none is left unchecked."""
    missing = [name for name in ELEMENTWISE if exact_derivative(name) is None]
    assert not missing, (
        f"no 50-digit σ for {missing}: give the counterpart (crosscheck.counterparts.ActivationCounterpart) "
        "mpmath=lambda mp, z: <σ(z) with mp.exp, mp.tanh, ...>, as README's Use 2 shows"
    )


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_the_derivative_keeps_its_relative_accuracy_in_the_tails(name):
    """σ'(z) from the reference is within 1e-12 of the 50-digit value, relatively, over z ∈ [−700, 700]."""
    entry = ACTIVATIONS[name]
    if exact_derivative(name) is None:
        pytest.skip(f"{name} has no 50-digit σ (the test above names what to add)")
    exact, roots = exact_derivative(name)
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


# How far the frameworks' σ' may stray from the 50-digit value, in units of ε (|σ'(z)| + d(z)), d the counterpart's
# `derivative_error`: d is an estimate the tolerances' margin (450 ε in float64, docs/TOLERANCES.md) absorbs, so it
# must be of the right size, not a strict bound. The catalogue's worst today is 5.5 (JAX's softplus' at z = 33).
DERIVATIVE_ERROR_SLACK = 8.0


def _framework_derivatives(name: str, z: np.ndarray) -> dict[str, np.ndarray]:
    """σ'(z) as torch's autograd and jax.grad compute it, in float64, from the counterpart's σ."""
    import jax
    import torch

    jax.config.update("jax_enable_x64", True)
    sigma = counterparts.activation(name)
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    by_torch = torch.autograd.grad(sigma.torch(t.reshape(1, -1)).sum(), t)[0].numpy()
    by_jax = jax.grad(lambda v: sigma.jax(v.reshape(1, -1), None).sum())(jax.numpy.asarray(z, dtype=jax.numpy.float64))
    return {"torch": by_torch, "jax": np.asarray(by_jax)}


def derivative_error_excess(name: str) -> str | None:
    """Where a framework's σ' strays further from the 50-digit σ' than DERIVATIVE_ERROR_SLACK ε (|σ'| + d), the
    worst such point in words; None where it never does."""
    exact, _ = exact_derivative(name)
    sigma = counterparts.activation(name)
    z = grid()
    z = z[~np.isin(z, sigma.kinks + sigma.nonsmooth)]
    d = sigma.derivative_error(z, sigma.numpy(z))
    eps = float(np.finfo(np.float64).eps)
    true = [exact(mp.mpf(zi)) for zi in z.tolist()]
    for framework, got in _framework_derivatives(name, z).items():
        worst, where = 0.0, None
        for zi, gi, ti, di in zip(z.tolist(), got.tolist(), true, d.tolist()):
            units = float(abs(mp.mpf(gi) - ti)) / eps
            allowed = float(abs(ti)) + di + (1 + abs(zi)) * TINY / eps  # a product flushed to zero
            if units > DERIVATIVE_ERROR_SLACK * allowed and units / allowed > worst:
                worst, where = units / allowed, (zi, units, di, float(abs(ti)))
        if where is not None:
            return (
                f"{framework}'s σ' of {name} is off by {where[1]:.3g} ε at z = {where[0]}, {worst:.3g} times "
                f"|σ'(z)| + derivative_error(z) = {where[3]:.3g} + {where[2]:.3g} (at most {DERIVATIVE_ERROR_SLACK:g} "
                f"allowed): raise the counterpart's derivative_error near z = {where[0]}"
            )
    return None


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_each_derivative_error_is_the_size_of_what_the_frameworks_make(name):
    """torch's and JAX's σ'(z) lie within 8 ε (|σ'(z)| + d(z)) of the 50-digit σ' over z ∈ [−700, 700], d the
    counterpart's `derivative_error`: a new activation's d is measured here, not guessed (the failure names the z
    and the error found)."""
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    if exact_derivative(name) is None:
        pytest.skip(f"{name} has no 50-digit σ (test_every_element_wise_activation_has_an_exact_derivative_here)")
    excess = derivative_error_excess(name)
    assert excess is None, excess


def test_a_derivative_error_too_small_is_named(monkeypatch):
    """With tanh's derivative_error set to 0, JAX's 1 − tanh² in the tail (a few ε where σ' is 1e-16) is named, with
    its z and its size."""
    import dataclasses

    pytest.importorskip("torch")
    pytest.importorskip("jax")
    entry = counterparts.ACTIVATIONS["tanh"]
    monkeypatch.setitem(counterparts.ACTIVATIONS, "tanh", dataclasses.replace(entry, derivative_error=lambda z, a: 0 * z))
    excess = derivative_error_excess("tanh")
    assert excess is not None and "σ' of tanh is off by" in excess and "raise the counterpart's derivative_error" in excess


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


def exact_loss_gradient(name: str):
    """∇_a C in 50 digits, element by element: the hand-written formula above, or, for a loss added at run time,
    mpmath's derivative of its counterpart's 50-digit term of N·C, over N. None where neither exists."""
    if name in EXACT_LOSS_GRADIENTS:
        return EXACT_LOSS_GRADIENTS[name]
    term = counterparts.loss(name).mpmath
    if term is None:
        return None
    return lambda a, y, N: mp.diff(lambda t: term(mp, t, y), a) / N


def test_every_loss_has_an_exact_gradient_here():
    """The accuracy test covers every loss of the catalogue, and a loss added at run time through its counterpart's
    50-digit term."""
    missing = [name for name in sorted(LOSSES) if exact_loss_gradient(name) is None]
    assert not missing, (
        f"no 50-digit C for {missing}: give the counterpart (crosscheck.counterparts.LossCounterpart) "
        "mpmath=lambda mp, a, y: <one element's term of N·C with mp.log, mp.sqrt, ...>, as README's Use 2 shows"
    )


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_the_loss_gradient_keeps_its_relative_accuracy(name):
    """∇_a C from the reference is within 1e-12 of the 50-digit value, relatively, including outputs near 0 and 1."""
    exact = exact_loss_gradient(name)
    if exact is None:
        pytest.skip(f"{name} has no 50-digit C (the test above names what to add)")
    rng = np.random.default_rng(1)
    n, N = 3, 400
    a = np.concatenate([rng.uniform(1e-12, 1 - 1e-12, size=(n, N - 4)), np.array([[1e-300, 1 - 1e-16, 0.5, 1e-8]] * n)], axis=1)
    if name == "cross_entropy":
        y = rng.dirichlet(np.ones(n), size=N).T
    elif name == "binary_cross_entropy":
        y = rng.uniform(size=(n, N))
    elif name in EXACT_LOSS_GRADIENTS:
        y = rng.normal(0, 1.5, size=(n, N))
    else:  # a loss added at run time: the targets its counterpart draws
        y = counterparts.loss(name).targets(rng, (n, N))
    got = LOSSES[name].gradient(a, y)
    worst = 0.0
    for j in range(n):
        for x in range(N):
            true = exact(mp.mpf(float(a[j, x])), mp.mpf(float(y[j, x])), N)
            if abs(true) < TINY or not math.isfinite(float(got[j, x])):
                continue
            worst = max(worst, float(abs((mp.mpf(float(got[j, x])) - true) / true)))
    assert worst <= RTOL, f"∇_a C of {name}: relative error {worst:.2e}"
