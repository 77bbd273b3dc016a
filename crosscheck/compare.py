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
    return (
        f"{t.name} = {t.reference:.10g} (reference), but {who} {verb} {t.oracle:.10g}; "
        f"|diff| {t.difference:.1e} > tol {t.tolerance:.1e} ({t.failed} of {t.checked} elements off)"
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
    tensors = [
        _check(
            "loss",
            None,
            np.asarray(reference.loss),
            np.asarray(oracle.loss),
            None if scales is None else np.asarray(scales.loss),
            tol,
            floor + error_loss,
            allow_nan,
        )
    ]
    for quantity in QUANTITIES[1:]:
        ref, orc = getattr(reference, quantity), getattr(oracle, quantity)
        if len(ref) != len(orc):
            tensors.append(_structural(quantity, f"reference has {len(ref)} layers, oracle {len(orc)}"))
            continue
        sc = getattr(scales, quantity) if scales is not None else [None] * len(ref)
        er = getattr(oracle_error, quantity) if oracle_error is not None else [0.0] * len(ref)
        for l, (r, o, s, e) in enumerate(zip(ref, orc, sc, er), start=2):
            tensors.append(_check(quantity, l, r, o, s, tol, floor + np.asarray(e), allow_nan))
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
    tensors = []
    for quantity, ref, orc, sc in zip(("W", "b"), reference, oracle, scales):
        for l, (r, o, s) in enumerate(zip(ref, orc, sc), start=2):
            tensors.append(_check(quantity, l, r, o, s, tol, 0.0, False))
    return Comparison(oracle_name, kind, dtype, tol, tuple(tensors))


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


def _check(
    quantity: str,
    layer: int | None,
    reference: np.ndarray,
    oracle: np.ndarray,
    scale: np.ndarray | None,
    tol: Tolerance,
    floor: float | np.ndarray,
    allow_nan: bool,
) -> TensorCheck:
    reference, oracle = np.asarray(reference), np.asarray(oracle)
    if reference.shape != oracle.shape:
        return _structural(quantity, f"shape {reference.shape} (reference) but {oracle.shape} (oracle)", layer)
    if reference.dtype != oracle.dtype:
        return _structural(quantity, f"dtype {reference.dtype} (reference) but {oracle.dtype} (oracle)", layer)
    r, o = reference.astype(np.float64), oracle.astype(np.float64)
    skipped = np.isnan(o) & ~np.isnan(r) if allow_nan else np.zeros(r.shape, dtype=bool)
    if scale is None:
        with np.errstate(invalid="ignore"):
            scale = np.nanmax(np.abs(np.stack([r, o])), initial=0.0)
    allowed = tol.rtol * np.asarray(scale, dtype=np.float64) + floor
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = np.abs(r - o)
        difference = np.where(np.isnan(difference) | np.isinf(r) | np.isinf(o), np.inf, difference)
        difference = np.where(skipped, 0.0, difference)
        ratio = np.where(difference == 0, 0.0, difference / np.where(allowed > 0, allowed, 0.0))
    ratio = np.nan_to_num(ratio, nan=np.inf, posinf=np.inf)
    allowed = np.broadcast_to(allowed, r.shape)
    worst = np.unravel_index(int(np.argmax(ratio)), r.shape) if r.ndim else ()
    return TensorCheck(
        quantity=quantity,
        layer=layer,
        index=tuple(int(i) for i in worst),
        reference=float(r[worst]),
        oracle=float(o[worst]),
        difference=float(difference[worst]),
        tolerance=float(allowed[worst]),
        ratio=float(ratio[worst]),
        failed=int(np.count_nonzero(ratio > 1)),
        checked=int(r.size - np.count_nonzero(skipped)),
        skipped=int(np.count_nonzero(skipped)),
    )
