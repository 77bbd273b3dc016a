"""Oracle: central finite differences in float64, no framework.

Each derivative is the fourth-order central difference

    D(h) = [f(θ − 2h) − 8 f(θ − h) + 8 f(θ + h) − f(θ + 2h)] / (12 h)

with truncation error O(h⁴) and rounding error O(ε/h); h = ε^(1/5) ≈ 7.4e-4
balances the two for float64 (ε = 2.2e-16). How far a parameter can move before the
cost bends is set by what it multiplies, not by its own size: biases and z^l take
h, and W^l_jk takes h / max(1, max_x |a^{l-1}_k|), so every step moves z^l by ≈ h.
The arithmetic is float64 whatever the network's dtype: a float32 case is promoted,
differenced, and returned in float32.

**Error estimate.** D(2h) is computed too (two more points, ±4h). For a smooth cost
D(2h) − D(h) ≈ 15·(error of D(h)), so |D(h) − D(2h)| bounds the truncation error of
D(h) with a margin of 15; `SAFETY` triples it for costs that bend within a few h
(large weights), where the asymptotic estimate is optimistic. To it is added the
rounding bound of the stencil itself, ROUNDING·ε·Σ|c_s f(θ + s h)|/h, which matters
where the step is small (W^l_jk behind large activations) and the cost is large.
`with_error` returns it, and the
comparison adds it to the tolerance: a network whose large weights make the cost bend
sharply within 4h gets a wider tolerance there, and only there.

All perturbed copies of the network run as one batched NumPy forward pass. δ^l uses
that samples do not interact: shifting z^l_j in every column at once changes each
sample's cost C_x only through its own z^l_jx, so one stencil per neuron gives δ^l_j
for every sample.

**Kinks.** Where a stencil would evaluate σ on both sides of one of its declared
kinks (or exactly on one), the difference quotient is not a derivative; where it
straddles a point at which a higher derivative jumps (elu at 0, Huber's knee) it is
not accurate to its order. Such elements come back as NaN, meaning "not checked",
and the comparison counts them as skipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crosscheck import counterparts
from crosscheck.case import Stack
from reference import Gradients, Network

STEP = float(np.finfo(np.float64).eps ** (1 / 5))
EPS = float(np.finfo(np.float64).eps)
ROUNDING = 16.0
"""Each cost value is trusted to ROUNDING·ε of its size (sums of up to a few hundred terms)."""
SAFETY = 3.0
"""The error estimate is SAFETY·|D(h) − D(2h)|: 45 times the asymptotic error of D(h),
and still an honest bound where large weights make the cost bend within a few h."""
POINTS = np.array([-4.0, -2.0, -1.0, 1.0, 2.0, 4.0])
"""Stencil points in units of h; D(h) uses ±1, ±2 and D(2h) uses ±2, ±4."""
FINE = np.array([0.0, 1.0, -8.0, 8.0, -1.0, 0.0]) / 12.0
COARSE = np.array([1.0, -8.0, 0.0, 0.0, 8.0, -1.0]) / 24.0


def gradients(stacks: list[Stack]) -> list[tuple[Gradients, Gradients | None]]:
    """Loss, δ^l, ∂C/∂W^l, ∂C/∂b^l by central differences for every case of every stack
    (NaN where a kink is crossed), and the estimate of their error, in the stack's layout.
    Each case is differenced at its own sizes: one pass per parameter, no padding."""
    results: list[tuple[Gradients, Gradients | None]] = []
    for stack in stacks:
        pairs = [with_error(case.network, case.x, case.y, stack.clip) for case in stack.cases()]
        results.append((stack.stacked([p[0] for p in pairs]), stack.stacked([p[1] for p in pairs])))
    return results


def with_error(network: Network, x: np.ndarray, y: np.ndarray, clip: float = 0.0) -> tuple[Gradients, Gradients]:
    """The finite differences and, alongside, the estimate |D(h) − D(2h)| of their error (the loss's
    argument clipped at `clip`, when declared)."""
    model = _Model(network, x, y, clip)
    S = len(POINTS)
    theta = np.concatenate([p.ravel() for pair in zip(model.Ws, model.bs) for p in pair])
    P = theta.size
    # Every stencil point of every parameter: (S·P, P) displaced parameter vectors.
    thetas = np.repeat(theta[None, :], S * P, axis=0)
    h = model.parameter_steps()
    thetas[np.arange(S * P), np.tile(np.arange(P), S)] += (POINTS[:, None] * h[None, :]).reshape(-1)
    Ws, bs = model.unflatten(thetas)
    costs, crossed = model.costs(Ws, bs, offsets=None)
    d_theta, e_theta = _difference(costs.sum(axis=-1).reshape(S, P), h, crossed.reshape(S, P, -1).any(axis=(0, 2)))

    deltas, delta_errors = [], []
    for layer, z in enumerate(model.zs):
        n, N = z.shape
        offsets: list[Any] = [None] * len(model.Ws)
        # (S, n, n, N): stencil point s shifts row j of z by POINTS[s] · h.
        shift = np.zeros((S, n, n, N))
        rows = np.arange(n)
        shift[:, rows, rows, :] = POINTS[:, None, None] * STEP
        offsets[layer] = shift.reshape(S * n, n, N)
        costs, crossed = model.costs(model.Ws, model.bs, offsets=offsets)
        d, e = _difference(costs.reshape(S, n, N), np.full((n, N), STEP), crossed.reshape(S, n, N).any(axis=0))
        deltas.append(d)
        delta_errors.append(e)

    loss = float(model.costs(model.Ws, model.bs, None)[0].sum())
    dtype = network.dtype
    values = _gradients(model, loss, deltas, d_theta, dtype)
    errors = _gradients(model, 0.0, delta_errors, e_theta, np.dtype(np.float64))
    return values, errors


def _gradients(model: _Model, loss: float, deltas: list[np.ndarray], flat: np.ndarray, dtype: np.dtype) -> Gradients:
    weights, biases = model.unflatten(flat[None, :])
    return Gradients(
        loss=loss,
        deltas=[d.astype(dtype) for d in deltas],
        weights=[W[0].astype(dtype) for W in weights],
        biases=[b[0].astype(dtype) for b in biases],
    )


def _difference(costs: np.ndarray, h: np.ndarray, crossed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """D(h) along axis 0 of the stencil's costs and |D(h) − D(2h)|; NaN where `crossed`."""
    fine = np.tensordot(FINE, costs, axes=1) / h
    coarse = np.tensordot(COARSE, costs, axes=1) / h
    # Rounding: each cost carries an error of a few ε of its size; the stencil divides by h.
    rounding = ROUNDING * EPS * np.tensordot(np.abs(FINE), np.abs(costs), axes=1) / h
    error = SAFETY * np.abs(fine - coarse) + rounding
    return np.where(crossed, np.nan, fine), np.where(crossed, 0.0, error)


class _Model:
    """The network's forward pass in float64 from the counterparts' NumPy formulas."""

    def __init__(self, network: Network, x: np.ndarray, y: np.ndarray, clip: float = 0.0) -> None:
        self.hidden = counterparts.activation(network.activation.name)
        self.output = counterparts.activation(network.output_activation.name)
        self.loss = counterparts.loss(network.loss.name, clip)
        self.Ws = [W.astype(np.float64) for W in network.weights]
        self.bs = [b.astype(np.float64) for b in network.biases]
        self.x, self.y = x.astype(np.float64), y.astype(np.float64)
        self.zs, self.a = self._forward(self.Ws, self.bs, None)
        # a^1 .. a^{L-1}: what each W^l multiplies.
        self.activations = [self.x, *(self.hidden.numpy(z) for z in self.zs[:-1])]

    def parameter_steps(self) -> np.ndarray:
        """h per parameter: STEP for biases, STEP / max(1, max_x |a^{l-1}_k|) for W^l_jk,
        so that every step moves z^l by about STEP."""
        steps = []
        for W, b, a in zip(self.Ws, self.bs, self.activations):
            reach = np.maximum(1.0, np.max(np.abs(a), axis=1))  # (n_{l-1},)
            steps += [np.broadcast_to(STEP / reach, W.shape).ravel(), np.full(b.size, STEP)]
        return np.concatenate(steps)

    def unflatten(self, thetas: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(K, P) parameter vectors -> per-layer (K, n, m) weights and (K, n, 1) biases."""
        Ws, bs, start = [], [], 0
        for W, b in zip(self.Ws, self.bs):
            Ws.append(thetas[:, start : start + W.size].reshape(-1, *W.shape))
            start += W.size
            bs.append(thetas[:, start : start + b.size].reshape(-1, *b.shape))
            start += b.size
        return Ws, bs

    def _forward(self, Ws: list[np.ndarray], bs: list[np.ndarray], offsets: list[Any] | None) -> Any:
        zs, a = [], self.x
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = W @ a + b
            if offsets is not None and offsets[i] is not None:
                z = z + offsets[i]
            zs.append(z)
            a = (self.output if i == len(Ws) - 1 else self.hidden).numpy(z)
        return zs, a

    def costs(self, Ws: list[np.ndarray], bs: list[np.ndarray], offsets: list[Any] | None) -> Any:
        """Per-sample costs (K, N) and whether each copy's σ crossed a kink, per sample."""
        zs, a = self._forward(Ws, bs, offsets)
        crossed = np.zeros(a.shape[:-2] + a.shape[-1:], dtype=bool)
        for i, (z, z0) in enumerate(zip(zs, self.zs)):
            sigma = self.output if i == len(zs) - 1 else self.hidden
            crossed |= _crosses(z, z0, sigma.kinks + sigma.nonsmooth)
        crossed |= _crosses(a - self.y, self.a - self.y, self.loss.nonsmooth_residuals)
        return self.loss.numpy_per_sample(a, self.y), crossed


def _crosses(values: np.ndarray, base: np.ndarray, points: tuple[float, ...]) -> np.ndarray:
    """Per sample: whether `values` lie on another side of any point than `base` (or on it)."""
    crossed = np.zeros(values.shape[:-2] + values.shape[-1:], dtype=bool)
    for point in points:
        side, side0 = np.sign(values - point), np.sign(base - point)
        crossed |= ((side != side0) | (side0 == 0)).any(axis=-2)
    return crossed


def l2(weights: list[np.ndarray], c: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """R = c · Σ_l ΣW^l² per case and ∂R/∂W^l by central differences in float64 (R is
    separable, so every element's stencil runs at once; for a quadratic it is exact to rounding)."""
    coefficient = np.asarray(c, dtype=np.float64)[:, None, None]
    values = sum(np.sum(coefficient * W.astype(np.float64) ** 2, axis=(1, 2)) for W in weights)
    grads = []
    for W in weights:
        w = W.astype(np.float64)
        grads.append((coefficient * ((w + STEP) ** 2 - (w - STEP) ** 2) / (2 * STEP)).astype(W.dtype))
    return np.asarray(values, dtype=np.float64), grads
