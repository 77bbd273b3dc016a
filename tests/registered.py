"""A pytest plugin (`-p registered`) that registers a new activation and a new loss as README's "Use 2" does, each
with its counterpart and its wrong-derivative mutant, before the tests are collected: tests/test_extension.py runs
the catalogue, negative-control and proof tests over them in a fresh process."""

from __future__ import annotations

import math

import numpy as np

from crosscheck import counterparts, mutants
from reference import activations, losses

activations.ACTIVATIONS["softsign"] = activations.Activation(
    "softsign", lambda z: z / (1 + np.abs(z)), lambda z, a: 1 / (1 + np.abs(z)) ** 2, "σ(z) = z/(1 + |z|), σ'(z) = 1/(1 + |z|)²"
)
counterparts.ACTIVATIONS["softsign"] = counterparts.ActivationCounterpart(
    "softsign",
    torch=lambda z: counterparts.torch_functional().softsign(z),
    jax=counterparts.jax_elementwise(lambda z: counterparts.jax_nn().soft_sign(z)),
    numpy=lambda z: z / (1 + np.abs(z)),
    derivative_error=lambda z, a: np.ones_like(z),
    nonsmooth=(0.0,),
    mpmath=lambda mp, z: z / (1 + abs(z)),
)
mutants.add_wrong_derivative(
    "softsign", mutants.WrongDerivative(lambda z, a: 1 / (1 + np.abs(z)), "softsign'(z) = 1/(1 + |z|) (the square forgotten)")
)


def _logcosh(a, y):
    return np.sum(np.logaddexp(a - y, y - a) - math.log(2), axis=(-2, -1)) / a.shape[-1]


losses.LOSSES["logcosh"] = losses.Loss(
    "logcosh", _logcosh, lambda a, y: np.tanh(a - y) / a.shape[-1], "C = 1/N Σ log cosh(a − y), ∇_a C = tanh(a − y)/N"
)
counterparts.LOSSES["logcosh"] = counterparts.LossCounterpart(
    "logcosh",
    torch=lambda a, y: (
        (counterparts.torch_functional().softplus(2 * (a - y), threshold=40) - (a - y) - math.log(2)).sum() / a.shape[-1]
    ),
    jax=lambda a, y, mask: (
        (mask * (counterparts.jax_nn().softplus(2 * (a - y)) - (a - y) - math.log(2))).sum() / counterparts.real_samples(mask)
    ),
    numpy_per_sample=lambda a, y: np.sum(np.logaddexp(a - y, y - a) - math.log(2), axis=-2) / a.shape[-1],
    gradient_scale=lambda a, y, E: (np.abs(a) + np.abs(y) + E) / a.shape[-1],
    function_error=lambda a, y: (2 + np.abs(a) + np.abs(y)) / a.shape[-1],
    gradient_error=lambda a, y: np.full_like(a, 2.0) / a.shape[-1],
    targets=lambda rng, shape: rng.uniform(size=shape),
    hand_written=("torch", "jax"),
    mpmath=lambda mp, a, y: mp.log(mp.cosh(a - y)),
)
mutants.add_wrong_derivative("logcosh", mutants.WrongGradient(lambda a, y: (a - y) / a.shape[1], "∇_a C = (a − y)/N"))
