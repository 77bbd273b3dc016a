"""Batched mode: many cases of one structure at once, for the certificate.

A cell's K cases share sizes, batch size, activations, loss and dtype, so they stack
on a leading axis: W^l is (K, n_l, n_{l-1}), x is (K, n_1, N). The cases are
independent, so the gradient of the *sum* of their costs is, block by block, each
case's own gradient: one PyTorch backward or one `jax.vmap`-ed JAX call serves all K.
Results come back as `Gradients` whose arrays carry the leading K axis and whose
`loss` is an array (K,).

The comparison is vectorised too (`worst_ratios`); the full per-case report is built
only for a case that fails.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from crosscheck import _frameworks, counterparts
from crosscheck.case import Case
from crosscheck.compare import kink_skips, ratios
from crosscheck.jax_oracle import catalogue, padded, unpack, with_deltas
from crosscheck.numeric import numeric_gradients_with_error
from crosscheck.tolerances import AUTOGRAD_KIND, FINITE_DIFFERENCES_KIND, Tolerance
from reference import Gradients, Network


@dataclass(frozen=True)
class Batch:
    """K cases of one structure, stacked."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    x: np.ndarray
    y: np.ndarray
    activation: str
    output_activation: str
    loss: str
    origins: tuple[str, ...] = ()

    @property
    def K(self) -> int:
        return self.x.shape[0]

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype

    def __repr__(self) -> str:
        sizes = (self.weights[0].shape[2], *(W.shape[1] for W in self.weights))
        acts = self.activation if self.output_activation == self.activation else f"{self.activation}→{self.output_activation}"
        origin = self.origins[0].split(", case ")[0] if self.origins else ""
        return f"Batch({self.K} cases [{acts}/{self.loss}, sizes {sizes}, N={self.x.shape[2]}, {self.dtype}, {origin}])"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis's falsifying example shows the summary, not every stacked array (a
        # failing case's own report carries the snippet that rebuilds it).
        printer.text(repr(self))

    def first(self, count: int) -> Batch:
        """The first `count` cases."""
        return Batch(
            [W[:count] for W in self.weights],
            [b[:count] for b in self.biases],
            self.x[:count],
            self.y[:count],
            self.activation,
            self.output_activation,
            self.loss,
            self.origins[:count],
        )

    def case(self, k: int) -> Case:
        network = Network(
            [W[k] for W in self.weights],
            [b[k] for b in self.biases],
            activation=self.activation,
            output_activation=self.output_activation,
            loss=self.loss,
        )
        return Case(network, self.x[k], self.y[k], self.origins[k] if self.origins else "")


def _stack(results: list[Gradients]) -> Gradients:
    return Gradients(
        loss=np.array([g.loss for g in results]),  # type: ignore[arg-type]
        deltas=[np.stack(t) for t in zip(*(g.deltas for g in results))],
        weights=[np.stack(t) for t in zip(*(g.weights for g in results))],
        biases=[np.stack(t) for t in zip(*(g.biases for g in results))],
    )


def reference_batch(batch: Batch) -> Gradients:
    """The reference, case by case (it is the thing under test: no batching tricks)."""
    return _stack([batch.case(k).network.backward(batch.x[k], batch.y[k]) for k in range(batch.K)])


def numeric_batch(batch: Batch, count: int) -> tuple[Gradients, Gradients]:
    """Finite differences (values, error estimates) for the first `count` cases."""
    pairs = [numeric_gradients_with_error(batch.case(k).network, batch.x[k], batch.y[k]) for k in range(count)]
    return _stack([p[0] for p in pairs]), _stack([p[1] for p in pairs])


def torch_batch(batch: Batch) -> Gradients:
    """PyTorch autograd on the stacked cases: one backward of the summed costs."""
    torch = _frameworks.torch()
    hidden = counterparts.activation(batch.activation)
    output = counterparts.activation(batch.output_activation)
    cost = counterparts.loss(batch.loss)
    Ws = [torch.tensor(W, requires_grad=True) for W in batch.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in batch.biases]
    a = torch.from_numpy(np.ascontiguousarray(batch.x))
    y = torch.from_numpy(np.ascontiguousarray(batch.y))
    zs = []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = torch.baddbmm(b, W, a)
        zs.append(z)
        a = (output if i == len(Ws) - 1 else hidden).torch(z)
    grads = torch.autograd.grad(cost.torch(a, y), [*zs, *Ws, *bs])
    with torch.no_grad():
        losses = np.array([float(cost.torch(a[k], y[k])) for k in range(batch.K)])
    n = len(Ws)
    return Gradients(
        loss=losses,  # type: ignore[arg-type]
        deltas=[g.numpy() for g in grads[:n]],
        weights=[g.numpy() for g in grads[n : 2 * n]],
        biases=[g.numpy() for g in grads[2 * n :]],
    )


CHUNK = {"reverse": 32, "forward": 4}
"""Cases per `jax.vmap` call, per mode. A short last chunk is filled with copies of its
last case, so every batched call of a mode and dtype shares one compiled program (each
compilation costs 1-2 s). Reverse mode costs ~0.4 ms for 32 cases on 2 cores, ~0.2 ms
for one; forward mode about 1 ms per case however many are mapped together, so its
chunks are short, to waste little on the filling."""


@functools.cache
def _vmapped(activations: tuple[str, ...], losses: tuple[str, ...], mode: str) -> Any:
    """The single-case JAX oracle mapped over a leading case axis of (Ws, bs, x, y, mask);
    `choice` (depth, activations, loss) is shared."""
    jax = _frameworks.jax()
    return jax.jit(jax.vmap(with_deltas(activations, losses, mode), in_axes=(0, 0, 0, 0, 0, None)))


def mapped(arrays: tuple[np.ndarray, ...], choice: np.ndarray, mode: str) -> np.ndarray:
    """`with_deltas`'s flat result for each of K stacked padded cases (Ws, bs, x, y, mask),
    `CHUNK[mode]` cases a call: (K, 1 + depth·width·(width + 1 + batch))."""
    total, size = arrays[0].shape[0], CHUNK[mode]
    flats = []
    with _frameworks.jax_precision(arrays[2].dtype):
        function = _vmapped(*catalogue(), mode)
        for start in range(0, total, size):
            chunk = [array[start : start + size] for array in arrays]
            if chunk[0].shape[0] < size:
                fill = size - chunk[0].shape[0]
                chunk = [np.concatenate([array, np.repeat(array[-1:], fill, axis=0)]) for array in chunk]
            flats.append(np.asarray(function(*chunk, choice)))
    return np.concatenate(flats)[:total]


def jax_batch(batch: Batch, mode: str) -> Gradients:
    """`jax.vmap` of the bucketed single-case JAX oracle ("reverse" or "forward")."""
    sizes = (batch.weights[0].shape[2], *(W.shape[1] for W in batch.weights))
    N, dtype = batch.x.shape[2], batch.dtype
    arrays, skip = padded(batch.weights, batch.biases, batch.x, batch.y, batch.activation, batch.output_activation, batch.loss)
    Ws, bs, xs, ys, mask, choice = arrays
    flat = mapped((Ws, bs, xs, ys, np.broadcast_to(mask, xs.shape)), choice, mode)
    loss, dWs, dbs, deltas = unpack(flat, Ws.shape[-3], Ws.shape[-2], xs.shape[-1])
    rows = sizes[1:]
    return Gradients(
        loss=np.asarray(loss, dtype=np.float64),  # type: ignore[arg-type]
        deltas=[np.array(deltas[:, i, :n, :N], dtype=dtype) for i, n in enumerate(rows, start=skip)],
        weights=[np.array(dWs[:, i, :n, :m], dtype=dtype) for i, n, m in zip(range(skip, skip + len(rows)), rows, sizes)],
        biases=[np.array(dbs[:, i, :n], dtype=dtype) for i, n in enumerate(rows, start=skip)],
    )


def worst_ratios(
    reference: Gradients,
    oracle: Gradients,
    scales: Gradients,
    tol: Tolerance,
    error: Gradients | None = None,
    count: int | None = None,
    kind: str = AUTOGRAD_KIND,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per case: the largest |diff|/tol over every element; per layer l = 2..L: the same
    over δ^l, ∂C/∂W^l, ∂C/∂b^l; and every inexact element's |diff|/tol (for the
    distribution plot). The rule is `compare`'s (`compare.ratios`), on stacked cases: a
    NaN from the oracle is "not checked" (skipped) only when `kind` is finite differences
    (a stencil across a kink); from an autograd oracle it fails, as does NaN or inf on
    either side anywhere else. `error` is the oracle's own error estimate, added to the
    tolerance. Only the first `count` cases when given (finite differences run on a subset)."""
    K = count if count is not None else np.asarray(reference.loss).shape[0]
    floor = tol.cost_rtol * np.asarray(scales.loss)[:K]
    per_case = np.zeros(K)
    per_layer = np.zeros(len(reference.deltas) + 1)
    relative = []
    terms = [
        (
            0,
            np.asarray(reference.loss)[:K, None],
            np.asarray(oracle.loss)[:K, None],
            np.asarray(scales.loss)[:K, None],
            0.0 if error is None else np.asarray(error.loss)[:K, None],
        )
    ]
    for quantity in ("deltas", "weights", "biases"):
        for l, (r, o, s) in enumerate(zip(getattr(reference, quantity), getattr(oracle, quantity), getattr(scales, quantity))):
            e = 0.0 if error is None else getattr(error, quantity)[l][:K]
            terms.append((l + 1, r[:K], o[:K], s[:K], e))
    for layer, r, o, s, e in terms:
        r64, o64 = np.asarray(r, dtype=np.float64), np.asarray(o, dtype=np.float64)
        allowed = tol.rtol * s + floor.reshape((K,) + (1,) * (r64.ndim - 1)) + e
        _, ratio = ratios(r64, o64, allowed, kink_skips(r64, o64, kind == FINITE_DIFFERENCES_KIND))
        flat = ratio.reshape(K, -1)
        per_case = np.maximum(per_case, flat.max(axis=1, initial=0.0))
        per_layer[layer] = max(per_layer[layer], float(flat.max(initial=0.0)))
        values = flat[np.isfinite(flat) & (flat > 0)]
        relative.append(values)
    return per_case, per_layer, np.concatenate(relative)
