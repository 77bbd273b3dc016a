"""The oracles' side of each catalogue entry: the frameworks' own functions.

For every activation and loss of the reference there is one counterpart here, written
independently of `reference/` (DESIGN.md, rule 1): the PyTorch and JAX built-ins that
compute the same function, and a NumPy expression of the *function only* (never its
derivative) for the finite-difference oracle. Derivatives come from autograd or from
differencing, never from here.

Layouts: every function below acts on arrays of shape (n, N) or (..., n, N) with the
neurons on axis -2 and the samples on axis -1, the reference's convention. Framework
modules are imported lazily, so this module imports without torch or jax.

To add a case, add one `ActivationCounterpart` or `LossCounterpart` entry below,
under the same name as the reference's entry (README, "Adding an activation or a loss").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# Framework arrays are typed loosely: torch and jax are optional imports.
Fn = Callable[[Any], Any]


@dataclass(frozen=True)
class ActivationCounterpart:
    """σ as each oracle computes it."""

    name: str
    torch: Fn
    """torch.Tensor -> torch.Tensor, neurons on axis -2."""
    jax: Fn
    """jax.Array -> jax.Array, neurons on axis -2."""
    numpy: Fn
    """float64 ndarray -> ndarray: σ only, for finite differences."""
    slope_bound: float
    """sup_z |σ'(z)|: how much σ can amplify a rounding error (tolerance scales)."""
    derivative_error: Callable[[np.ndarray, np.ndarray], np.ndarray]
    """(z, a) -> a bound, in units of ε, on the rounding error with which frameworks
    evaluate σ'(z) (for σ(1 − σ) it is ~a, from 1 − a). Tolerance scales only."""
    kinks: tuple[float, ...] = ()
    """Points where σ is not differentiable; finite differences must not cross them."""


@dataclass(frozen=True)
class LossCounterpart:
    """The batch cost C(a, y) as each oracle computes it; a and y are (n_L, N)."""

    name: str
    torch: Callable[[Any, Any], Any]
    """Scalar tensor C from the torch.nn.functional loss, reduction converted."""
    jax: Callable[[Any, Any, Any], Any]
    """(a, y, mask) -> scalar C; `mask` (same shape, 0/1) drops padded entries and
    the sample count N is `mask`'s number of real columns."""
    numpy_per_sample: Callable[[np.ndarray, np.ndarray], np.ndarray]
    """(..., n_L, N) -> (..., N): each sample's share C_x of C (so C = Σ_x C_x)."""
    gradient_scale: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    """(a, y, E) -> a bound on |∇_a C| free of cancellation, counting an error E (in
    units of ε) in a; shape (n_L, N) (tolerance scales)."""
    targets: Callable[[np.random.Generator, tuple[int, int]], np.ndarray]
    """Draws valid float64 targets y of a shape (n_L, N), for the strategies."""


def _torch() -> Any:
    import torch

    return torch


def _jnn() -> Any:
    import jax

    return jax.nn


def _jnp() -> Any:
    import jax.numpy as jnp

    return jnp


def _columns(mask: Any) -> Any:
    """The number of real samples N in a padded (n, N) mask."""
    return _jnp().max(mask, axis=-2).sum()


# --- activations ---------------------------------------------------------------------
def _numpy_sigmoid(z: np.ndarray) -> np.ndarray:
    # An independent formula, exp(−log(1 + e^{−z})), accurate relative to σ in both tails.
    return np.exp(-np.logaddexp(0.0, -z))


ACTIVATIONS: dict[str, ActivationCounterpart] = {
    "sigmoid": ActivationCounterpart(
        "sigmoid",
        torch=lambda z: _torch().sigmoid(z),
        jax=lambda z: _jnn().sigmoid(z),
        numpy=_numpy_sigmoid,
        slope_bound=0.25,
        derivative_error=lambda z, a: a,  # σ(1 − σ): 1 − a loses ε·a
    ),
}


def _unit_interval(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Targets in [0, 1], about a quarter of them exactly 0 or 1."""
    y = rng.uniform(size=shape)
    exact = rng.uniform(size=shape) < 0.25
    return np.where(exact, np.round(y), y)


# --- losses --------------------------------------------------------------------------
def _torch_quadratic(a: Any, y: Any) -> Any:
    # mse_loss(reduction="sum") is Σ‖a − y‖²; the derivation's cost is that over 2N.
    N = a.shape[-1]
    return _torch().nn.functional.mse_loss(a, y, reduction="sum") / (2 * N)


def _jax_quadratic(a: Any, y: Any, mask: Any) -> Any:
    jnp = _jnp()
    return jnp.sum(mask * (a - y) ** 2) / (2 * _columns(mask))


LOSSES: dict[str, LossCounterpart] = {
    "quadratic": LossCounterpart(
        "quadratic",
        torch=_torch_quadratic,
        jax=_jax_quadratic,
        numpy_per_sample=lambda a, y: np.sum((a - y) ** 2, axis=-2) / (2 * a.shape[-1]),
        gradient_scale=lambda a, y, E: (np.abs(a) + np.abs(y) + E) / a.shape[-1],
        targets=lambda rng, shape: _unit_interval(rng, shape),
    ),
}


class MissingCounterpart(LookupError):
    """A reference entry has no counterpart here (or the other way round)."""


def activation(name: str) -> ActivationCounterpart:
    """The counterpart of the reference's activation `name`."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise MissingCounterpart(
            f"the reference's activation {name!r} has no counterpart: add an "
            f"ActivationCounterpart named {name!r} to ACTIVATIONS in crosscheck/counterparts.py "
            "(README, 'Adding an activation or a loss')"
        ) from None


def loss(name: str) -> LossCounterpart:
    """The counterpart of the reference's loss `name`."""
    try:
        return LOSSES[name]
    except KeyError:
        raise MissingCounterpart(
            f"the reference's loss {name!r} has no counterpart: add a LossCounterpart named "
            f"{name!r} to LOSSES in crosscheck/counterparts.py "
            "(README, 'Adding an activation or a loss')"
        ) from None
