"""An independent oracle for the reference's unit tests: 50-digit decimal arithmetic
with forward-mode dual numbers, written per scalar from the cost's definition.

Nothing here uses BP1-BP4: every derivative comes from the chain rule applied
mechanically by `Dual`, one input direction at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, getcontext

getcontext().prec = 50
ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True)
class Dual:
    """value + derivative·ε with ε² = 0."""

    value: Decimal
    derivative: Decimal = ZERO

    def __add__(self, other: Dual) -> Dual:
        return Dual(self.value + other.value, self.derivative + other.derivative)

    def __sub__(self, other: Dual) -> Dual:
        return Dual(self.value - other.value, self.derivative - other.derivative)

    def __mul__(self, other: Dual) -> Dual:
        return Dual(self.value * other.value, self.value * other.derivative + self.derivative * other.value)

    def __truediv__(self, other: Dual) -> Dual:
        v = self.value / other.value
        return Dual(v, (self.derivative - v * other.derivative) / other.value)

    def exp(self) -> Dual:
        e = self.value.exp()
        return Dual(e, e * self.derivative)


def sigmoid(z: Dual) -> Dual:
    """σ(z) = 1/(1 + e^{-z}), as the derivation defines it."""
    return Dual(ONE) / (Dual(ONE) + (Dual(ZERO) - z).exp())


def forward_and_cost(W, b, x, y, seed=None, z_seed=None):
    """Per-scalar forward pass and quadratic cost C = 1/(2N) Σ_x Σ_j (y − a)².

    W[l][j][k], b[l][j] are Decimals for the weight layers l = 0, 1, ...; x[k][s], y[j][s].
    `seed` = (kind, l, j, k) puts derivative 1 on one parameter; `z_seed` = (l, j, s)
    on one weighted input. Returns (zs, activations, C) as Duals.
    """
    N = len(x[0])
    a = [[Dual(v) for v in row] for row in x]
    zs, activations = [], [a]
    for l in range(len(W)):
        z = []
        for j in range(len(W[l])):
            row = []
            for s in range(N):
                total = Dual(b[l][j], ONE if seed == ("b", l, j, 0) else ZERO)
                for k in range(len(W[l][j])):
                    w = Dual(W[l][j][k], ONE if seed == ("W", l, j, k) else ZERO)
                    total = total + w * a[k][s]
                if z_seed == (l, j, s):
                    total = total + Dual(ZERO, ONE)
                row.append(total)
            z.append(row)
        a = [[sigmoid(v) for v in row] for row in z]
        zs.append(z)
        activations.append(a)
    C = Dual(ZERO)
    for j, row in enumerate(a):
        for s, v in enumerate(row):
            d = Dual(y[j][s]) - v
            C = C + d * d
    return zs, activations, C / Dual(Decimal(2 * N))
