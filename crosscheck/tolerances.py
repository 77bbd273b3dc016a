"""Tolerances: the one place they are defined (docs/DESIGN.md, rule 4; docs/TOLERANCES.md).

An element passes when

    |tested − oracle| ≤ rtol · S + cost_rtol · S_C

* `S` is the element's **error scale**. With a `Case`, it is computed by
  `crosscheck.scales`: each operation of BP1-BP4 rounds by a few ε of its operands'
  magnitudes, and errors carried from other operations add in quadrature along their
  signed paths. Rounding errors in any correct implementation are near ε·S, not
  relative to the (possibly cancelled or saturated) value; a wrong formula moves the
  value by a fraction of S. `compare` needs a case (or precomputed scales): without one
  there is no sound S, and it refuses the call.
* `S_C` is the scale of the cost C (the loss's own scale). Only finite differences
  have a `cost_rtol`: their rounding error is ε·|C|/h whatever the derivative is.

Two tables, keyed by dtype:

* `AUTOGRAD` (tested vs torch, jax reverse, jax forward). Both sides round in the
  case's dtype. rtol is 450 ε for float64 (1e-13, ε = 2.2e-16) and 17 ε for float32
  (2e-6, ε = 1.2e-7): the margin over the errors the scales predict. How much of it the
  property tests use, and how small a slip it still catches, is measured in
  docs/TOLERANCES.md; `SLIPS` records the slips the sensitivity tests hold the suite to.
* `FINITE_DIFFERENCES` (reference vs central differences in float64). Truncation of
  the fourth-order stencil is h⁴·f⁽⁵⁾ ≈ 3e-13 relative for derivatives of moderate
  size; rounding is about ε/h ≈ 3e-13 of the cost. rtol 1e-8 leaves margin for the
  high derivatives of saturated and large-weight networks; a float32 case is
  compared at the float32 rounding level since the reference itself rounds there.

The rule itself is `crosscheck.judge.judge`. Override per call:
`compare(..., tolerances=Tolerance(rtol=1e-9))`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AUTOGRAD_KIND = "autograd"
FINITE_DIFFERENCES_KIND = "finite differences"


@dataclass(frozen=True)
class Tolerance:
    """|tested − oracle| ≤ rtol · S + cost_rtol · S_C, per element."""

    rtol: float
    cost_rtol: float = 0.0

    def __post_init__(self) -> None:
        for name in ("rtol", "cost_rtol"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"Tolerance {name} must be a real number, got {type(value).__name__}")
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"Tolerance {name} must be a finite number >= 0, got {value}")


AUTOGRAD: dict[np.dtype, Tolerance] = {
    np.dtype(np.float64): Tolerance(rtol=1e-13),
    np.dtype(np.float32): Tolerance(rtol=2e-6),
}

SLIPS: dict[np.dtype, float] = {
    np.dtype(np.float64): 1e-6,
    np.dtype(np.float32): 1e-3,
}
"""The relative error in one gradient tensor the autograd comparison must catch."""

FINITE_DIFFERENCES: dict[np.dtype, Tolerance] = {
    np.dtype(np.float64): Tolerance(rtol=1e-8, cost_rtol=1e-10),
    np.dtype(np.float32): Tolerance(rtol=1e-5, cost_rtol=1e-10),
}

TABLES: dict[str, dict[np.dtype, Tolerance]] = {
    AUTOGRAD_KIND: AUTOGRAD,
    FINITE_DIFFERENCES_KIND: FINITE_DIFFERENCES,
}


def tolerance(kind: str, dtype: np.dtype | type) -> Tolerance:
    """The default tolerance for a comparison kind and dtype."""
    if kind not in TABLES:
        raise ValueError(f"kind must be one of {sorted(TABLES)}, got {kind!r}")
    table = TABLES[kind]
    dtype = np.dtype(dtype)
    if dtype not in table:
        raise ValueError(f"no {kind} tolerance for dtype {dtype}; known: {[str(d) for d in table]}")
    return table[dtype]
