"""Comparing the reference's gradients with an oracle's, element by element.

`compare` is the cheap vectorised check; the report is only built when it fails.
A mismatch reads, in one fixed format:

    ∂C/∂W^3[1, 0] = 0.4102 (reference), but torch gives 0.3917; |diff| 1.9e-02 >
    tol 1.0e-10 (2 of 6 elements off) [sigmoid/quadratic, sizes (2, 3, 1), N=4, float64]

followed, when the case is known, by a snippet that rebuilds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from crosscheck import scales as _scales
from crosscheck.case import Case
from crosscheck.tolerances import AUTOGRAD_KIND, FINITE_DIFFERENCES_KIND, Tolerance, tolerance
from reference import Gradients

QUANTITIES = ("loss", "deltas", "weights", "biases")
_SYMBOLS = {
    "loss": "C",
    "deltas": "δ^{l}",
    "weights": "∂C/∂W^{l}",
    "biases": "∂C/∂b^{l}",
    "W": "W^{l}",
    "b": "b^{l}",
}


def symbol(quantity: str, layer: int | None) -> str:
    """The derivation's name of a quantity: C, δ^3, ∂C/∂W^2, ∂C/∂b^4."""
    return _SYMBOLS[quantity].format(l=layer)


@dataclass(frozen=True)
class TensorCheck:
    """The outcome for one tensor (or the loss): its worst element and counts."""

    quantity: str
    layer: int | None
    index: tuple[int, ...]
    reference: float
    oracle: float
    difference: float
    tolerance: float
    ratio: float
    """max over elements of |diff| / tol: ≤ 1 passes."""
    failed: int
    checked: int
    skipped: int
    problem: str = ""
    """A structural failure (shape, dtype, count), when there is one."""

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.problem

    @property
    def name(self) -> str:
        element = f"[{', '.join(map(str, self.index))}]" if self.index else ""
        return symbol(self.quantity, self.layer) + element


@dataclass(frozen=True)
class Comparison:
    """The reference against one oracle, for one case."""

    oracle: str
    kind: str
    dtype: np.dtype
    tolerance: Tolerance
    tensors: tuple[TensorCheck, ...]
    case: Case | None = None

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tensors)

    @property
    def mismatches(self) -> list[TensorCheck]:
        return [t for t in self.tensors if not t.ok]

    @property
    def worst_ratio(self) -> float:
        """The largest |diff| / tol over every element (≤ 1 when everything passes)."""
        return max((t.ratio for t in self.tensors), default=0.0)

    def report(self, reproduce: bool = True) -> str:
        """One line per tensor off, then the reproduction snippet."""
        if self.ok:
            return f"reference and {self.oracle} agree ({self.kind}, worst |diff|/tol {self.worst_ratio:.2g})"
        label = f" {self.case.label}" if self.case is not None else ""
        lines = [mismatch_line(t, [self.oracle]) + label for t in self.mismatches]
        if reproduce and self.case is not None:
            check = f"crosscheck.assert_case(case, oracles=[{self.oracle!r}])"
            lines += ["", "Rebuild the case:", "", self.case.reproduction(check)]
        return "\n".join(lines)


def mismatch_line(t: TensorCheck, oracles: list[str]) -> str:
    """`∂C/∂W^3[1, 0] = 0.41 (reference), but torch gives 0.39; |diff| ... > tol ...`."""
    who = _names(oracles)
    verb = "gives" if len(oracles) == 1 else "give"
    if t.problem:
        return f"{symbol(t.quantity, t.layer)}: {t.problem} ({who})"
    bound = f"> tol {t.tolerance:.1e}"
    if not np.isfinite(t.tolerance):
        bound = f"and the tolerance is {t.tolerance} (an overflowed scale)"
    return (
        f"{t.name} = {t.reference:.10g} (reference), but {who} {verb} {t.oracle:.10g}; "
        f"|diff| {t.difference:.1e} {bound} ({t.failed} of {t.checked} elements off)"
    )


def _names(oracles: list[str]) -> str:
    return oracles[0] if len(oracles) == 1 else ", ".join(oracles[:-1]) + " and " + oracles[-1]


def compare(
    reference: Gradients,
    oracle: Gradients,
    *,
    case: Case | None = None,
    scales: Gradients | None = None,
    oracle_error: Gradients | None = None,
    oracle_name: str = "oracle",
    kind: str = AUTOGRAD_KIND,
    tolerances: Tolerance | None = None,
) -> Comparison:
    """Compare every element of loss, δ^l, ∂C/∂W^l and ∂C/∂b^l.

    `case` (or precomputed `scales`) makes each element's scale its magnitude
    (`crosscheck.scales`); without either, each tensor's scale is its largest
    magnitude. `oracle_error`, an oracle's own error estimate per element (finite
    differences give one), is added to the tolerance. `kind` picks the tolerance
    table (autograd or finite differences) and `tolerances` overrides it. NaN from a
    finite-difference oracle means "not checked"
    (a stencil across a kink) and is counted as skipped; NaN anywhere else fails.
    """
    dtype = _dtype(reference)
    tol = tolerances if tolerances is not None else tolerance(kind, dtype)
    if scales is None and case is not None:
        scales = _scales.magnitudes(case)
    cost_scale = scales.loss if scales is not None else max(abs(reference.loss), abs(oracle.loss))
    floor = tol.cost_rtol * cost_scale
    allow_nan = kind == FINITE_DIFFERENCES_KIND

    error_loss = 0.0 if oracle_error is None else oracle_error.loss
    entries: list[_Entry] = [
        (
            "loss",
            None,
            np.asarray(reference.loss),
            np.asarray(oracle.loss),
            None if scales is None else np.asarray(scales.loss),
            floor + error_loss,
        )
    ]
    problems: list[TensorCheck] = []
    for quantity in QUANTITIES[1:]:
        ref, orc = getattr(reference, quantity), getattr(oracle, quantity)
        if len(ref) != len(orc):
            problems.append(_structural(quantity, f"reference has {len(ref)} layers, oracle {len(orc)}"))
            continue
        sc = getattr(scales, quantity) if scales is not None else [None] * len(ref)
        er = getattr(oracle_error, quantity) if oracle_error is not None else [0.0] * len(ref)
        for l, (r, o, s, e) in enumerate(zip(ref, orc, sc, er), start=2):
            entries.append((quantity, l, r, o, s, floor + np.asarray(e) if oracle_error is not None else floor))
    tensors = _check_all(entries, tol, allow_nan) + problems
    return Comparison(oracle_name, kind, dtype, tol, tuple(tensors), case)


def compare_parameters(
    reference: tuple[list[np.ndarray], list[np.ndarray]],
    oracle: tuple[list[np.ndarray], list[np.ndarray]],
    *,
    scales: tuple[list[np.ndarray], list[np.ndarray]],
    oracle_name: str = "oracle",
    kind: str = AUTOGRAD_KIND,
    tolerances: Tolerance | None = None,
) -> Comparison:
    """Compare parameters (W^l, b^l) after an update, each element at its scale.

    For W − η ∂C/∂W the scale is |W| + η S(∂C/∂W): the old value's rounding plus
    the gradient's, scaled by the step.
    """
    dtype = reference[0][0].dtype
    tol = tolerances if tolerances is not None else tolerance(kind, dtype)
    entries: list[_Entry] = [
        (quantity, l, r, o, s, 0.0)
        for quantity, ref, orc, sc in zip(("W", "b"), reference, oracle, scales)
        for l, (r, o, s) in enumerate(zip(ref, orc, sc), start=2)
    ]
    return Comparison(oracle_name, kind, dtype, tol, tuple(_check_all(entries, tol, False)))


def assert_gradients_close(
    reference: Gradients,
    oracle: Gradients,
    *,
    case: Case | None = None,
    oracle_name: str = "oracle",
    kind: str = AUTOGRAD_KIND,
    tolerances: Tolerance | None = None,
) -> Comparison:
    """`compare`, raising AssertionError with the report when any element is off."""
    comparison = compare(reference, oracle, case=case, oracle_name=oracle_name, kind=kind, tolerances=tolerances)
    if not comparison.ok:
        raise AssertionError(comparison.report())
    return comparison


def _dtype(gradients: Gradients) -> np.dtype:
    for tensor in _tensors(gradients):
        return np.asarray(tensor).dtype
    return np.dtype(np.float64)


def _tensors(gradients: Gradients) -> Iterator[np.ndarray]:
    yield from gradients.deltas
    yield from gradients.weights
    yield from gradients.biases


def _structural(quantity: str, problem: str, layer: int | None = None) -> TensorCheck:
    return TensorCheck(quantity, layer, (), np.nan, np.nan, np.nan, 0.0, np.inf, 1, 0, 0, problem)


_Entry = tuple[str, "int | None", np.ndarray, np.ndarray, "np.ndarray | None", "float | np.ndarray"]
"""(quantity, layer, reference, oracle, scale or None, floor) for one tensor."""


def _check_all(entries: list[_Entry], tol: Tolerance, allow_nan: bool) -> list[TensorCheck]:
    """Every tensor's TensorCheck, computed over all elements of all tensors at once."""
    results: list[TensorCheck | None] = [None] * len(entries)
    kept: list[int] = []
    rs, os, scale_parts, floor_parts = [], [], [], []
    for k, (quantity, layer, reference, oracle, scale, floor) in enumerate(entries):
        reference, oracle = np.asarray(reference), np.asarray(oracle)
        shape = reference.shape
        if shape != oracle.shape:
            results[k] = _structural(quantity, f"shape {shape} (reference) but {oracle.shape} (oracle)", layer)
        elif reference.dtype != oracle.dtype:
            problem = f"dtype {reference.dtype} (reference) but {oracle.dtype} (oracle)"
            results[k] = _structural(quantity, problem, layer)
        elif reference.size == 0:
            results[k] = TensorCheck(quantity, layer, (), np.nan, np.nan, 0.0, 0.0, 0.0, 0, 0, 0)
        else:
            kept.append(k)
            rs.append(reference.ravel())
            os.append(oracle.ravel())
            if scale is None:
                with np.errstate(invalid="ignore"):
                    scale = max(np.nanmax(np.abs(reference), initial=0.0), np.nanmax(np.abs(oracle), initial=0.0))
            scale_parts.append(_spread(scale, shape))
            floor_parts.append(floor if np.ndim(floor) == 0 else _spread(floor, shape))
    if not kept:
        return [t for t in results if t is not None]
    sizes = np.array([r.size for r in rs])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    r = np.concatenate(rs).astype(np.float64, copy=False)
    o = np.concatenate(os).astype(np.float64, copy=False)
    allowed = tol.rtol * np.concatenate(scale_parts)
    if all(np.ndim(f) == 0 for f in floor_parts) and len({float(f) for f in floor_parts}) == 1:
        allowed += float(floor_parts[0])  # one floor for every element (the usual case)
    else:
        allowed += np.concatenate([np.full(size, f) if np.ndim(f) == 0 else f for f, size in zip(floor_parts, sizes)])
    skipped = kink_skips(r, o, allow_nan)
    difference, ratio = ratios(r, o, allowed, skipped)
    # Per tensor: the worst element (its first occurrence), and the counts.
    segment = np.repeat(np.arange(len(kept)), sizes)
    at_max = np.flatnonzero(ratio == np.maximum.reduceat(ratio, offsets)[segment])
    worst = at_max[np.unique(segment[at_max], return_index=True)[1]]
    failed = np.add.reduceat(ratio > 1, offsets)
    n_skipped = np.add.reduceat(skipped, offsets)
    columns = zip(
        kept,
        (worst - offsets).tolist(),
        r[worst].tolist(),
        o[worst].tolist(),
        difference[worst].tolist(),
        allowed[worst].tolist(),
        ratio[worst].tolist(),
        failed.tolist(),
        (sizes - n_skipped).tolist(),
        n_skipped.tolist(),
    )
    for k, local, *values in columns:
        quantity, layer, reference = entries[k][0], entries[k][1], entries[k][2]
        shape = np.shape(reference)
        index = tuple(int(i) for i in np.unravel_index(local, shape)) if shape else ()
        results[k] = TensorCheck(quantity, layer, index, *values)
    return [t for t in results if t is not None]


def kink_skips(reference: np.ndarray, oracle: np.ndarray, allow_nan: bool) -> np.ndarray:
    """The elements left unchecked: where the oracle gives NaN and the reference a number,
    when `allow_nan` (finite differences only: a stencil across a kink); none otherwise."""
    if not allow_nan:
        return np.zeros(np.shape(reference), dtype=bool)
    return np.isnan(oracle) & ~np.isnan(reference)


def ratios(
    reference: np.ndarray, oracle: np.ndarray, allowed: np.ndarray, skipped: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The rule every element is judged by: |diff| and |diff| / allowed (≤ 1 passes), in
    float64. A NaN or infinite value on either side is an infinite difference (it fails
    even against an equal infinity); a difference of exactly 0 passes even where the
    allowed error is 0; `skipped` elements (finite differences across a kink) count 0.
    An allowed error that is not a finite number (an overflowed scale) judges nothing:
    any other difference fails against it."""
    r = np.asarray(reference, dtype=np.float64)
    o = np.asarray(oracle, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        difference = np.abs(r - o)
        difference[np.isnan(difference) | np.isinf(r) | np.isinf(o)] = np.inf
        if skipped is not None:
            difference[skipped] = 0.0
        usable = np.isfinite(allowed) & (allowed > 0)
        ratio = np.where(difference == 0, 0.0, difference / np.where(usable, allowed, 0.0))
    ratio[np.isnan(ratio)] = np.inf
    return difference, ratio


def _spread(value: float | np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A scale or floor (scalar or array) as a flat float64 array over `shape`."""
    value = np.asarray(value, dtype=np.float64)
    return value.ravel() if value.shape == shape else np.broadcast_to(value, shape).ravel()
