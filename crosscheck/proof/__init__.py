"""The symbolic tier: BP1-BP4 proven as identities, on the reference's own code.

σ is an undefined function (`sympy.Function`) whose derivative is another undefined function
σ', and the cost C is an undefined function of every output a^L_{jx} (the quadratic cost and
the catalogue's losses are special cases of it). The reference's `Network.backward` runs
unchanged on arrays of SymPy symbols (`crosscheck.proof.identities`: the seam is a network
whose σ, σ' and C are these functions and whose input checks accept object arrays); SymPy's
derivative of a forward pass written here is the truth. Each identity is decided exactly, by
expansion to zero, never by `simplify` (a heuristic): each application of a function becomes a
symbol, and the residual, a polynomial in these and the parameters (for softmax, a rational
function whose denominators are powers of Σ_k e^{z_k}), is expanded in SymPy's sparse
polynomial ring over ℚ, its numerator over the common denominator (`identities.decide`).

SymPy is an optional extra (`[proof]`); without it `available()` is False and the suite
skips this tier.
"""

from __future__ import annotations

import importlib.util

INSTALL = "pip install 'backprop-crosscheck[proof]'"
"""What installs the tier's one dependency."""


def available() -> bool:
    """Whether SymPy is installed (the tier needs it)."""
    return importlib.util.find_spec("sympy") is not None
