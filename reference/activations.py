"""Activation functions σ and their hand-derived derivatives σ', side by side.

Each entry computes `a = σ(z)` and `σ'(z)`; the derivative is given `z` and the
already computed `a = σ(z)` so BP1/BP2 never evaluate σ twice. Arrays are
`(n_l, N)`: one column per sample. `kinks` lists the points where σ is not
differentiable (the finite-difference oracle avoids stencils that cross them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference._types import Array


@dataclass(frozen=True)
class Activation:
    """An activation σ, applied element-wise, with its derivative σ'."""

    name: str
    function: Callable[[Array], Array]
    """a = σ(z)."""
    derivative: Callable[[Array, Array], Array]
    """σ'(z), given z and a = σ(z)."""
    formula: str
    """σ and σ' as the derivation writes them (shown in reports)."""
    kinks: tuple[float, ...] = ()


# --- sigmoid: σ(z) = 1 / (1 + e^{-z}),  σ'(z) = σ(z)(1 − σ(z)) ----------------------
def sigmoid(z: Array) -> Array:
    # e^{-|z|} never overflows, so |z| up to 1e4 gives no warning and no NaN:
    # for z >= 0, σ = 1/(1 + e^{-z}); for z < 0, σ = e^{z}/(1 + e^{z}).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_derivative(z: Array, a: Array) -> Array:
    return a * (1.0 - a)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative, "σ(z) = 1/(1+e^{-z}), σ'(z) = σ(z)(1−σ(z))"),
}
