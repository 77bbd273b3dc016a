"""Costs C(a^L, y) of a batch and their gradients ∇_a C, side by side.

`a` and `y` are `(n_L, N)`, one column per sample (or a stack `(K, n_L, N)` of K cases:
the cost is then one number per case). Every cost is the mean over the N samples, so
∇_a C carries the 1/N (docs/DESIGN.md, "the batch convention").

Some costs only make sense on some outputs: binary cross-entropy needs a ∈ (0, 1)
(a sigmoid output layer), categorical cross-entropy needs each column of a to be a
distribution (a softmax output layer). `output` names the output activation a loss
requires; the network refuses other pairings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference._types import Array


def _total(terms: Array, N: int) -> float | Array:
    """Σ over neurons and samples, / N: a float for one case, one number per case for a stack."""
    total = np.sum(terms, axis=(-2, -1)) / N
    return float(total) if np.ndim(total) == 0 else total


def _any_target(y: Array) -> None:
    """Targets with no domain restriction beyond being finite."""


def _unit_interval(y: Array) -> None:
    if np.any((y < 0) | (y > 1)):
        bad = tuple(int(i) for i in np.argwhere((y < 0) | (y > 1))[0])
        raise ValueError(f"y must lie in [0, 1] for binary_cross_entropy, got {y[bad]} at index {bad}")


def _distributions(y: Array) -> None:
    if np.any(y < 0):
        bad = tuple(int(i) for i in np.argwhere(y < 0)[0])
        raise ValueError(f"y must be non-negative for cross_entropy, got {y[bad]} at index {bad}")
    sums = y.sum(axis=-2, dtype=np.float64)
    off = np.abs(sums - 1.0) > 1e3 * np.finfo(y.dtype).eps * y.shape[-2]
    if np.any(off):
        at = tuple(int(i) for i in np.argwhere(off)[0])
        where = f"column {at[-1]}" + (f" of case {at[0]}" if len(at) > 1 else "")
        raise ValueError(
            f"each column of y must sum to 1 for cross_entropy (one-hot or probabilities), {where} sums to {sums[at]}"
        )


@dataclass(frozen=True)
class Loss:
    """A batch cost C and its gradient with respect to the output activations."""

    name: str
    cost: Callable[[Array, Array], float | Array]
    """C(a^L, y): a Python float, or one number per case of a stack."""
    gradient: Callable[[Array, Array], Array]
    """∇_a C, shape (n_L, N)."""
    formula: str
    check_targets: Callable[[Array], None] = _any_target
    """Raises ValueError when y is outside the cost's domain."""
    output: str | None = None
    """The output activation this cost requires, if any."""


# --- quadratic: C = 1/(2N) Σ_x ‖y − a^L(x)‖²,  ∇_a C = (a^L − y)/N -------------------
def quadratic(a: Array, y: Array) -> float | Array:
    N = a.shape[-1]
    return _total((y - a) ** 2, 2 * N)


def quadratic_gradient(a: Array, y: Array) -> Array:
    N = a.shape[-1]
    return (a - y) / N


# --- binary_cross_entropy: C = −1/N Σ [y log a + (1 − y) log(1 − a)] ------------------
#     ∇_a C = (a − y) / (a (1 − a)) / N = (−y/a + (1 − y)/(1 − a)) / N.  log1p(−a) keeps log(1 − a) accurate near a = 1;
#     a term whose weight (y or 1 − y) is exactly 0 contributes 0 even where a is 0 or 1.
def _finite_log(name: str, a: Array, weight: Array, probability: Array) -> None:
    """Refuse an infinite cost: a term with weight > 0 on a probability that is exactly 0."""
    infinite = (weight > 0) & (probability == 0)
    if np.any(infinite):
        at = tuple(int(i) for i in np.argwhere(infinite)[0])
        raise ValueError(
            f"{name} is infinite: the output a^L[{', '.join(map(str, at))}] = {a[at]} is saturated to the end of "
            f"its range while the target gives that outcome weight {weight[at]}"
        )


def binary_cross_entropy(a: Array, y: Array) -> float | Array:
    N = a.shape[-1]
    _finite_log("binary_cross_entropy", a, y, a)
    _finite_log("binary_cross_entropy", a, 1 - y, 1 - a)
    with np.errstate(divide="ignore"):
        positive = np.where(y > 0, y * np.log(a), 0.0)
        negative = np.where(y < 1, (1 - y) * np.log1p(-a), 0.0)
    return _total(-(positive + negative), N)


def binary_cross_entropy_gradient(a: Array, y: Array) -> Array:
    # (a − y)/(a(1 − a)) = −y/a + (1 − y)/(1 − a), term by term, so that a term with
    # weight 0 stays 0 where a is exactly 0 or 1 (no 0/0).
    N = a.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        positive = np.where(y > 0, -y / a, 0.0)
        negative = np.where(y < 1, (1 - y) / (1 - a), 0.0)
    return ((positive + negative) / N).astype(a.dtype)


# --- cross_entropy (categorical): C = −1/N Σ_x Σ_j y_j log a_j,  ∇_a C = −y/a / N -------
def cross_entropy(a: Array, y: Array) -> float | Array:
    N = a.shape[-1]
    _finite_log("cross_entropy", a, y, a)
    with np.errstate(divide="ignore"):
        terms = np.where(y > 0, y * np.log(a), 0.0)
    return _total(-terms, N)


def cross_entropy_gradient(a: Array, y: Array) -> Array:
    N = a.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, -y / a, 0.0).astype(a.dtype) / N


# --- huber (δ = 1): C = 1/N Σ h(a − y), h(r) = r²/2 if |r| ≤ 1 else |r| − 1/2 ----------
#     ∇_a C = clip(a − y, −1, 1)/N
def huber(a: Array, y: Array) -> float | Array:
    N = a.shape[-1]
    r = np.abs(a - y)
    return _total(np.where(r <= 1, 0.5 * r * r, r - 0.5), N)


def huber_gradient(a: Array, y: Array) -> Array:
    N = a.shape[-1]
    return np.clip(a - y, -1.0, 1.0) / N


LOSSES: dict[str, Loss] = {
    entry.name: entry
    for entry in (
        Loss("quadratic", quadratic, quadratic_gradient, "C = 1/(2N) Σ_x ‖y − a^L‖², ∇_a C = (a^L − y)/N"),
        Loss(
            "binary_cross_entropy",
            binary_cross_entropy,
            binary_cross_entropy_gradient,
            "C = −1/N Σ [y log a + (1−y) log(1−a)], ∇_a C = (a − y)/(a(1 − a)N)",
            check_targets=_unit_interval,
            output="sigmoid",
        ),
        Loss(
            "cross_entropy",
            cross_entropy,
            cross_entropy_gradient,
            "C = −1/N Σ_x Σ_j y_j log a_j, ∇_a C = −y/(aN)",
            check_targets=_distributions,
            output="softmax",
        ),
        Loss("huber", huber, huber_gradient, "C = 1/N Σ h(a − y), h'(r) = clip(r, −1, 1)"),
    )
}
