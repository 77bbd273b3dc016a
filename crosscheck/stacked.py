"""Judging stacks: every element of K cases against one oracle in one call of the judge.

`crosscheck.check.stack_judgements` runs steps 2-5 of the pipeline (the implementation under
test, the error scales, each oracle, the judge) and calls `judge_stacked` here, which lays every tensor of a stack side by side
so that `crosscheck.judge.judge` rules on all of them at once; a `StackJudgement` then
answers per case, per layer, and case by case as `TensorCheck`s. `reference_over` runs
the reference itself over a stack (its arrays with a leading case axis).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crosscheck.case import Stack, unstack
from crosscheck.judge import QUANTITIES, Judged, TensorCheck, judge
from crosscheck.tolerances import Tolerance
from reference import Gradients, Network


@dataclass(frozen=True)
class Entry:
    """One stacked tensor (or the loss) of the implementation, judged against one oracle."""

    quantity: str
    layer: int | None
    tested: np.ndarray
    oracle: np.ndarray
    judged: Judged
    real: np.ndarray | None
    """Where the real entries are (None: all of them)."""


@dataclass(frozen=True)
class StackJudgement:
    """One oracle against the implementation on the first `count` cases of a stack."""

    oracle: str
    kind: str
    tolerance: Tolerance
    sizes: np.ndarray
    entries: list[Entry]
    computed: Gradients
    """The oracle's stacked gradients (every quantity, judged or not: the diagnosis reads them)."""
    strict: StackJudgement | None = None
    """The same judged at the reference's strict error scale (σ and σ' accurate in the tails),
    for an implementation judged at "any" formulation's: where it passes but this fails, its
    result is right but less precise than the frameworks (a note, never the verdict)."""

    def per_case(self) -> np.ndarray:
        """The largest |diff|/tol per case, over the loss and every real element."""
        worst = np.zeros(len(self.sizes))
        for entry in self.entries:
            ratio = entry.judged.ratio if entry.real is None else np.where(entry.real, entry.judged.ratio, 0.0)
            np.maximum(worst, ratio.reshape(len(worst), -1).max(axis=1, initial=0.0), out=worst)
        return worst

    def per_layer(self) -> np.ndarray:
        """The largest |diff|/tol at the loss (index 0) and over δ^l, ∂C/∂W^l, ∂C/∂b^l (index l − 1)."""
        worst = np.zeros(len(self.sizes[0]))
        for entry in self.entries:
            ratio = entry.judged.ratio if entry.real is None else np.where(entry.real, entry.judged.ratio, 0.0)
            index = 0 if entry.layer is None else entry.layer - 1
            worst[index] = max(worst[index], float(ratio.max(initial=0.0)))
        return worst

    def relative(self) -> np.ndarray:
        """Every inexact, finite |diff|/tol of a real element (for the distribution plot)."""
        parts = []
        for entry in self.entries:
            ratio = (
                entry.judged.ratio
                if entry.real is None
                else entry.judged.ratio[np.broadcast_to(entry.real, entry.judged.ratio.shape)]
            )
            parts.append(ratio[np.isfinite(ratio) & (ratio > 0)])
        return np.concatenate(parts)

    def values(self, k: int) -> Gradients:
        """The oracle's own gradients of case k, at its own sizes (all of them, judged or not)."""
        return unstack(self.computed, self.sizes[k], k)

    def tensors(self, k: int) -> tuple[TensorCheck, ...]:
        """Case k's TensorChecks, at its own sizes."""
        n = self.sizes[k].tolist()
        checks = []
        for e in self.entries:
            if e.layer is None:
                part: Any = k
            elif e.quantity == "weights":
                part = (k, slice(n[e.layer - 1]), slice(n[e.layer - 2]))
            else:
                part = (k, slice(n[e.layer - 1]))
            j = e.judged
            judged = Judged(j.difference[part], j.allowed[part], j.ratio[part], j.skipped[part])
            checks.append(TensorCheck.of(e.quantity, e.layer, e.tested[part], e.oracle[part], judged))
        return tuple(checks)


def judge_stacked(  # noqa: PLR0913 (5 positional, the rest keyword-only options)
    tested: Gradients,
    oracle: Gradients,
    scales: Gradients,
    tol: Tolerance,
    kind: str,
    *,
    error: Gradients | None = None,
    stack: Stack | None = None,
    count: int | None = None,
    name: str = "oracle",
    provides: tuple[str, ...] = QUANTITIES,
) -> StackJudgement:
    """The judge on every element of stacked gradients (leading case axis; loss (K,)),
    the first `count` cases; `stack` marks the real entries of a padded stack. `scales`
    may hold any arrays that broadcast (a scalar per tensor). Only the quantities in
    `provides` are judged (an implementation may give no loss or no δ)."""
    K = count if count is not None else np.asarray(oracle.loss).shape[0]
    padded = stack is not None and not stack.uniform
    cost = np.asarray(scales.loss, dtype=np.float64)
    cost = np.broadcast_to(cost[:K] if cost.ndim else cost, (K,))
    # Every tensor's first K cases, flattened per case and side by side, so that the judge
    # rules on all of them in one call; each entry then views its own columns.
    parts: list[tuple[str, int | None, np.ndarray, np.ndarray, Any, Any]] = []
    if "loss" in provides:
        loss_error = 0.0 if error is None else np.asarray(error.loss)[:K]
        parts.append(("loss", None, np.asarray(tested.loss)[:K], np.asarray(oracle.loss)[:K], cost, loss_error))
    for quantity in [q for q in QUANTITIES[1:] if q in provides]:
        for layer, (t, o, sc) in enumerate(zip(getattr(tested, quantity), getattr(oracle, quantity), getattr(scales, quantity))):
            sc = np.asarray(sc)
            e = 0.0 if error is None else getattr(error, quantity)[layer][:K]
            parts.append((quantity, layer + 2, t[:K], o[:K], sc[:K] if sc.ndim else sc, e))
    judged = _judge_side_by_side(parts, cost, tol, kind, with_error=error is not None)
    entries = []
    start = 0
    for quantity, at, t, o, _, _ in parts:
        shape, width = t.shape, int(np.prod(t.shape[1:], dtype=int))
        columns = slice(start, start + width)
        start += width
        own = Judged(
            *(array[:, columns].reshape(shape) for array in (judged.difference, judged.allowed, judged.ratio, judged.skipped))
        )
        real = stack.real(quantity, at - 2)[:K] if padded and stack is not None and at is not None else None
        entries.append(Entry(quantity, at, t, o, own, real))
    sizes = stack.sizes[:K] if stack is not None else _sizes(oracle)
    return StackJudgement(name, kind, tol, sizes, entries, oracle)


def _judge_side_by_side(parts: list[Any], cost: np.ndarray, tol: Tolerance, kind: str, *, with_error: bool) -> Judged:
    """One call of the judge on every part's first K cases, flattened per case and side by side."""
    shapes = [t.shape for _, _, t, _, _, _ in parts]
    K = cost.shape[0]
    widths = [int(np.prod(shape[1:], dtype=int)) for shape in shapes]

    def side_by_side(values: list[Any], dtype: Any = None) -> np.ndarray:
        return np.concatenate(
            [
                np.broadcast_to(np.asarray(v, dtype=dtype), shape).reshape(K, width)
                for v, shape, width in zip(values, shapes, widths)
            ],
            axis=1,
        )

    return judge(
        side_by_side([p[2] for p in parts]),
        side_by_side([p[3] for p in parts]),
        scale=side_by_side([p[4] for p in parts], np.float64),
        cost_scale=cost[:, None],
        tolerance=tol,
        kind=kind,
        error=side_by_side([p[5] for p in parts], np.float64) if with_error else 0.0,
    )


def _sizes(stacked: Gradients) -> np.ndarray:
    """(K, L) sizes of unpadded stacked gradients."""
    K = np.asarray(stacked.loss).shape[0]
    n = (stacked.weights[0].shape[2], *(W.shape[1] for W in stacked.weights))
    return np.tile(np.array(n), (K, 1))


def reference_over(stack: Stack) -> Gradients:
    """The reference over a stack: `Network.backward` on the arrays with their leading case
    axis, once per output width (padded hidden and input neurons reach nothing but zero
    weights; a padded output row would reach the cost, so there are none)."""
    hidden, output, loss = stack.names
    K, outputs = stack.K, stack.sizes[:, -1]
    last = len(stack.weights) - 1
    found = Gradients(
        loss=np.zeros(K),
        deltas=[np.zeros((K, W.shape[1], stack.N), stack.dtype) for W in stack.weights],
        weights=[np.zeros_like(W) for W in stack.weights],
        biases=[np.zeros_like(b) for b in stack.biases],
    )
    for n_L in np.unique(outputs).tolist():
        k = np.flatnonzero(outputs == n_L)
        rows = [slice(None)] * last + [slice(0, n_L)]
        network = Network(
            [W[k, r] for W, r in zip(stack.weights, rows)],
            [b[k, r] for b, r in zip(stack.biases, rows)],
            activation=hidden,
            output_activation=output,
            loss=loss,
        )
        g = network.backward(stack.x[k], stack.y[k, :n_L])
        found.loss[k] = g.loss  # type: ignore[index]
        for quantity in ("deltas", "weights", "biases"):
            for placed, got, r in zip(getattr(found, quantity), getattr(g, quantity), rows):
                placed[k, r] = got
    return found
