"""Tolerances: the one place they are defined (DESIGN.md, rule 4).

An element passes when

    |reference − oracle| ≤ rtol · S + cost_rtol · S_C

* `S` is the element's **scale**. With a `Case`, it is the magnitude the element is
  computed from (`crosscheck.scales`): the same sums of products as BP1-BP4 with every
  term made positive and σ' replaced by its bound. Rounding errors in any correct
  implementation are relative to that magnitude, not to the (possibly cancelled or
  saturated) value; a wrong formula moves the value by a fraction of it. Without a
  case, `S` is the tensor's largest magnitude, max(|reference|, |oracle|).
* `S_C` is the scale of the cost C (the loss's own scale). Only finite differences
  have a `cost_rtol`: their rounding error is ε·|C|/h whatever the derivative is.

Two tables, keyed by dtype:

* `AUTOGRAD` (reference vs torch, jax reverse, jax forward). Both sides round in the
  case's dtype; accumulated rounding over five layers of width eight stays below
  ~100 ε of the scale, so rtol is about 1000 ε: 1e-12 for float64 (ε = 2.2e-16),
  1e-5 for float32 (ε = 1.2e-7). A relative slip of 1e-6 (float64) or 1e-3
  (float32) in a gradient tensor is 10⁶ (float64) or 100 (float32) times rtol and is
  caught while the scale is within that factor of the values (see the README).
* `FINITE_DIFFERENCES` (reference vs central differences in float64). Truncation of
  the fourth-order stencil is h⁴·f⁽⁵⁾ ≈ 3e-13 relative for derivatives of moderate
  size; rounding is about ε/h ≈ 3e-13 of the cost. rtol 1e-8 leaves margin for the
  high derivatives of saturated and large-weight networks; a float32 case is
  compared at the float32 rounding level since the reference itself rounds there.

Override per call: `compare(..., tolerances=Tolerance(rtol=1e-9))`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AUTOGRAD_KIND = "autograd"
FINITE_DIFFERENCES_KIND = "finite differences"


@dataclass(frozen=True)
class Tolerance:
    """|reference − oracle| ≤ rtol · S + cost_rtol · S_C, per element."""

    rtol: float
    cost_rtol: float = 0.0


AUTOGRAD: dict[np.dtype, Tolerance] = {
    np.dtype(np.float64): Tolerance(rtol=1e-12),
    np.dtype(np.float32): Tolerance(rtol=1e-5),
}

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
