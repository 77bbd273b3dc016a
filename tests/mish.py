"""A pytest plugin (`-p mish`) that adds what README's "Use 2" adds, through its three entries and nothing else: the
activation mish (σ = z·tanh(softplus z)) and the loss pseudo_huber (C = 1/N Σ (√(1 + (a − y)²) − 1)), each with its
counterpart and its negative control. tests/test_extension.py runs the whole default suite with it loaded."""

from __future__ import annotations

import numpy as np

from crosscheck import counterparts, mutants
from reference import activations, losses


def _mish(z):
    return z * np.tanh(np.logaddexp(0.0, z))


def _mish_prime(z, a):
    softplus = np.logaddexp(0.0, z)
    sigmoid = np.exp(-np.logaddexp(0.0, -z))
    shrink = np.exp(-2 * softplus)  # softplus > 0, so sech²(softplus) = 4 e^{-2 sp}/(1 + e^{-2 sp})² never overflows
    return np.tanh(softplus) + z * sigmoid * 4 * shrink / (1 + shrink) ** 2


activations.ACTIVATIONS["mish"] = activations.Activation(
    "mish", _mish, _mish_prime, "σ(z) = z·tanh(softplus z), σ'(z) = tanh(softplus z) + z·σ_s(z)·sech²(softplus z)"
)
counterparts.ACTIVATIONS["mish"] = counterparts.ActivationCounterpart(
    "mish",
    torch=lambda z: counterparts.torch_functional().mish(z),
    jax=counterparts.jax_elementwise(lambda z: z * counterparts.jax_numpy().tanh(counterparts.jax_nn().softplus(z))),
    numpy=_mish,
    derivative_error=lambda z, a: 2.0 + np.abs(z),
    mpmath=lambda mp, z: z * mp.tanh(mp.log1p(mp.exp(z))),
    hand_written=("jax",),
)
mutants.add_wrong_derivative(
    "mish",
    mutants.WrongDerivative(
        lambda z, a: np.tanh(np.logaddexp(0.0, z)), "mish'(z) = tanh(softplus z) (the product rule's second term forgotten)"
    ),
)


def _pseudo_huber(a, y):
    return np.sum(np.sqrt(1 + (a - y) ** 2) - 1, axis=(-2, -1)) / a.shape[-1]


losses.LOSSES["pseudo_huber"] = losses.Loss(
    "pseudo_huber",
    _pseudo_huber,
    lambda a, y: (a - y) / np.sqrt(1 + (a - y) ** 2) / a.shape[-1],
    "C = 1/N Σ (√(1 + (a − y)²) − 1), ∇_a C = (a − y)/√(1 + (a − y)²)/N",
)
counterparts.LOSSES["pseudo_huber"] = counterparts.LossCounterpart(
    "pseudo_huber",
    torch=lambda a, y: (counterparts.torch_module().sqrt(1 + (a - y) ** 2) - 1).sum() / a.shape[-1],
    jax=lambda a, y, mask: (mask * (counterparts.jax_numpy().sqrt(1 + (a - y) ** 2) - 1)).sum() / counterparts.real_samples(mask),
    numpy_per_sample=lambda a, y: np.sum(np.sqrt(1 + (a - y) ** 2) - 1, axis=-2) / a.shape[-1],
    gradient_scale=lambda a, y, E: (1 + E) / a.shape[-1],
    function_error=lambda a, y: (2 + (np.abs(a) + np.abs(y)) ** 2) / a.shape[-1],
    gradient_error=lambda a, y: np.full_like(a, 4.0) / a.shape[-1],
    targets=lambda rng, shape: rng.normal(0, 1.5, size=shape),
    hand_written=("torch", "jax"),
    mpmath=lambda mp, a, y: mp.sqrt(1 + (a - y) ** 2) - 1,
)
mutants.add_wrong_derivative(
    "pseudo_huber", mutants.WrongGradient(lambda a, y: (a - y) / a.shape[1], "∇_a C = (a − y)/N (the square root forgotten)")
)
