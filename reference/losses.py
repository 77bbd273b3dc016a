"""Costs C(a^L, y) of a batch and their gradients ∇_a C, side by side.

`a` and `y` are `(n_L, N)`, one column per sample. Every cost is the mean over the
N samples, so ∇_a C carries the 1/N (DESIGN.md, "the batch convention").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference._types import Array


def _any_target(y: Array) -> None:
    """Targets with no domain restriction beyond being finite."""


@dataclass(frozen=True)
class Loss:
    """A batch cost C and its gradient with respect to the output activations."""

    name: str
    cost: Callable[[Array, Array], float]
    """C(a^L, y), a Python float."""
    gradient: Callable[[Array, Array], Array]
    """∇_a C, shape (n_L, N)."""
    formula: str
    check_targets: Callable[[Array], None] = _any_target
    """Raises ValueError when y is outside the cost's domain."""


# --- quadratic: C = 1/(2N) Σ_x ‖y − a^L(x)‖²,  ∇_a C = (a^L − y)/N -------------------
def quadratic(a: Array, y: Array) -> float:
    N = a.shape[1]
    return float(np.sum((y - a) ** 2) / (2 * N))


def quadratic_gradient(a: Array, y: Array) -> Array:
    N = a.shape[1]
    return (a - y) / N


LOSSES: dict[str, Loss] = {
    "quadratic": Loss("quadratic", quadratic, quadratic_gradient, "C = 1/(2N) Σ_x ‖y − a^L‖², ∇_a C = (a^L − y)/N"),
}
