"""The judge: one rule for every element of every comparison.

An element passes when

    |tested − oracle| ≤ rtol · S + cost_rtol · S_C + e

with S the element's error scale (`crosscheck.scales`), S_C the cost's, e the oracle's
own error estimate (finite differences give one) and (rtol, cost_rtol) from the
comparison's table (`crosscheck.tolerances`, docs/TOLERANCES.md). `judge` holds that
rule, for one tensor or for a whole stack of cases at once; single cases, stacks, the
certificate and parameter updates all call it. The rest of this module turns its
element-wise answer into the report's words: the worst element of each tensor, in one
fixed format:

    ∂C/∂W^3[1, 0] = 0.4102 (the reference), but torch gives 0.3917; |diff| 1.9e-02 >
    tol 1.0e-10 (2 of 6 elements off) [sigmoid/quadratic, sizes (2, 3, 1), N=4, float64]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crosscheck.problems import Problem, symbol
from crosscheck.tolerances import FINITE_DIFFERENCES_KIND, Tolerance

QUANTITIES = ("loss", "deltas", "weights", "biases")


@dataclass(frozen=True)
class Judged:
    """`judge`'s answer, element by element, in float64."""

    difference: np.ndarray
    """|tested − oracle|; infinite where either side is NaN or infinite."""
    allowed: np.ndarray
    ratio: np.ndarray
    """difference / allowed: ≤ 1 passes."""
    skipped: np.ndarray
    """Elements not checked (a finite-difference stencil across a kink)."""


def judge(
    tested: np.ndarray,
    oracle: np.ndarray,
    *,
    scale: np.ndarray | float,
    tolerance: Tolerance,
    kind: str,
    cost_scale: np.ndarray | float = 0.0,
    error: np.ndarray | float = 0.0,
) -> Judged:
    """Judge every element: |tested − oracle| ≤ rtol · S + cost_rtol · S_C + e.

    Arrays broadcast (a stack's per-case S_C has shape (K, 1, ...)). A NaN or infinite
    value on either side is an infinite difference (it fails even against an equal
    infinity); a difference of exactly 0 passes even where the allowed error is 0. An
    allowed error that is not a finite number (an overflowed scale) judges nothing: any
    other difference fails against it. Where the oracle is finite differences and gives
    NaN while the tested value is a number, the stencil crossed a kink: that element is
    skipped (counts 0). NaN from any other oracle fails.
    """
    r = np.asarray(tested, dtype=np.float64)
    o = np.asarray(oracle, dtype=np.float64)
    allowed = tolerance.rtol * np.asarray(scale, dtype=np.float64) + tolerance.cost_rtol * np.asarray(cost_scale) + error
    allowed = np.broadcast_to(allowed, np.broadcast_shapes(r.shape, o.shape, np.shape(allowed)))
    if kind == FINITE_DIFFERENCES_KIND:
        skipped = np.isnan(o) & ~np.isnan(r)
    else:
        skipped = np.zeros(np.broadcast_shapes(r.shape, o.shape), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        difference = np.abs(r - o)
        difference[np.isnan(difference) | np.isinf(r) | np.isinf(o)] = np.inf
        difference[skipped] = 0.0
        usable = np.isfinite(allowed) & (allowed > 0)
        ratio = np.where(difference == 0, 0.0, difference / np.where(usable, allowed, 0.0))
    ratio[np.isnan(ratio)] = np.inf
    return Judged(difference, allowed, ratio, skipped)


@dataclass(frozen=True)
class TensorCheck:
    """The outcome for one tensor (or the loss): its worst element and counts."""

    quantity: str
    layer: int | None
    index: tuple[int, ...]
    tested: float
    oracle: float
    difference: float
    tolerance: float
    ratio: float
    """max over elements of |diff| / tol: ≤ 1 passes."""
    failed: int
    checked: int
    skipped: int
    problem: Problem | None = None
    """A structural failure (shape, dtype, count), when there is one."""

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.problem is None

    @property
    def name(self) -> str:
        element = f"[{', '.join(map(str, self.index))}]" if self.index else ""
        return symbol(self.quantity, self.layer) + element

    @classmethod
    def of(cls, quantity: str, layer: int | None, tested: np.ndarray, oracle: np.ndarray, judged: Judged) -> TensorCheck:
        """The worst element (its first occurrence) of one judged tensor, and the counts."""
        tested, oracle = np.asarray(tested), np.asarray(oracle)
        if tested.size == 0:
            return cls(quantity, layer, (), np.nan, np.nan, 0.0, 0.0, 0.0, 0, 0, 0)
        flat = int(np.argmax(judged.ratio))
        index = tuple(int(i) for i in np.unravel_index(flat, tested.shape)) if tested.ndim else ()
        skipped = int(judged.skipped.sum())
        return cls(
            quantity,
            layer,
            index,
            float(tested.flat[flat]),
            float(oracle.flat[flat]),
            float(judged.difference.flat[flat]),
            float(judged.allowed.flat[flat]),
            float(judged.ratio.flat[flat]),
            int((judged.ratio > 1).sum()),
            tested.size - skipped,
            skipped,
        )

    @classmethod
    def structural(cls, problem: Problem) -> TensorCheck:
        """A tensor that could not be judged element by element (where `problem` says)."""
        quantity = problem.quantity if problem.quantity in QUANTITIES else "weights"
        return cls(quantity, problem.layer, (), np.nan, np.nan, np.nan, 0.0, np.inf, 1, 0, 0, problem)


def mismatch(tested: np.ndarray, oracle: np.ndarray, quantity: str, layer: int | None) -> Problem | None:
    """Why two tensors cannot be compared element by element (shape, then dtype), or None."""
    tested, oracle = np.asarray(tested), np.asarray(oracle)
    if tested.shape != oracle.shape:
        return Problem("shape", quantity, layer, got=tested.shape, want=oracle.shape)
    if tested.dtype != oracle.dtype:
        return Problem("dtype", quantity, layer, got=str(tested.dtype), want=str(oracle.dtype))
    return None


def mismatch_line(t: TensorCheck, oracles: list[str], who: str = "the reference", yours: str = "") -> str:
    """`∂C/∂W^3[1, 0] = 0.41 (the reference), but torch gives 0.39; |diff| ... > tol ...`; with `yours`, the
    element's name in your convention after the derivation's (`∂C/∂W^2[1, 0], your weights[0][0, 1], = ...`)."""
    names = join(oracles)
    verb = "gives" if len(oracles) == 1 else "give"
    if t.problem is not None and t.problem.quantity is None:  # the call itself: no tensor to name
        return f"{t.problem.message(who)} ({names})"
    if t.problem is not None:
        return f"{symbol(t.quantity, t.layer)}: {t.problem.message(who)} ({names})"
    bound = f"> tol {t.tolerance:.1e}"
    if not np.isfinite(t.tolerance):
        bound = f"and the tolerance is {t.tolerance} (an overflowed scale)"
    name = f"{t.name} ({yours})" if yours else t.name
    return (
        f"{name} = {t.tested:.10g} ({who}), but {names} {verb} {t.oracle:.10g}; "
        f"|diff| {t.difference:.1e} {bound} ({t.failed} of {t.checked} elements off)"
    )


def join(names: list[str]) -> str:
    """ "torch", "torch and jax", "torch, jax and numeric"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
