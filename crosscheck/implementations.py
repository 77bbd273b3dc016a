"""Your backprop as the implementation under test: conventions as data, converted at the edge.

A user's backward pass is a callable `fn(weights, biases, x, y)` that receives the
arrays in its own convention and returns its gradients:

* `(weight_gradients, bias_gradients)`, one array per layer l = 2..L, or
* a dict with "weights" and "biases", and optionally "loss" (C) and "deltas" (δ^l per
  layer): a quantity given is checked, one left out is not.

A `Convention` says how it lays out its arrays and its cost. It is converted to the
derivation's layout once, here; everything after this module sees only the derivation's
layout (docs/DESIGN.md, "The implementation under test"). Each case is given to the
implementation twice, on fresh copies, to expose state that leaks from call to call;
what it does to the arrays it was given is checked too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crosscheck import supervise
from crosscheck.case import Case, Implementation, Parameters
from crosscheck.judge import judge
from crosscheck.problems import ImplementationProblem, Problem
from crosscheck.scales import magnitudes, with_l2_scale
from crosscheck.tolerances import AUTOGRAD_KIND, tolerance
from reference import Gradients

SAMPLES = ("columns", "rows")
WEIGHTS = ("out_in", "in_out")
BIASES = ("column", "flat", "row")
COSTS = ("mean", "sum", "elements")
KINKS = ("left", "right", "either")
TARGETS = ("probabilities", "one_hot", "labels", "labels_row", "binary")
L2_FORMS = ("lambda/2n", "reg")


@dataclass(frozen=True)
class Convention:
    """How an implementation lays out its arrays, its targets and its cost: what your code
    does, declared as data (each field is also an option of `python -m crosscheck verify`).

    Layout:

    * samples: "columns" (x is (n_1, N), the derivation's) or "rows" (x is (N, n_1));
    * weights: "out_in" (W^l is (n_l, n_{l-1}), the derivation's) or "in_out" (x @ W);
    * biases: "column" (b^l is (n_l, 1)), "flat" (n_l,) or "row" (1, n_l);
    * per_sample: one sample per call (the batch's gradient is the mean of the calls');
    * targets: "probabilities" (y as the loss takes it, the default), "one_hot" (drawn
      one-hot), "labels" (integer class labels of shape (N,)), "labels_row" ((1, N)), or
      "binary" (0/1 targets, for a sigmoid output).

    Cost (your C; the oracles' is converted to it):

    * cost: "mean" (over the batch, the derivation's), "sum" (Σ_x C_x) or "elements" (the
      mean over every output element, as the frameworks' MSE);
    * half: the quadratic cost's ½ (False: C = mean (a − y)², no ½);
    * clip: the loss's argument clipped to [clip, 1 − clip] (a log loss); a case where an
      output lies within 2·clip of 0 or 1 is not judged (the clip changes C there);
    * l2, l2_form: L2 in the cost, "lambda/2n" (+ λ/(2N) ΣW², N the batch; Nielsen's) or
      "reg" (+ reg · ΣW², a course assignment's), weights only; the oracles add the same term;
    * weight_decay: your update's own decay, torch.optim.SGD's: W ← W − η(∂C/∂W + wd·W).

    Other:

    * kink: σ' at a kink (relu at 0): "left" (the reference's and PyTorch's slope),
      "right", or "either". With another value than "left", a case where some z sits
      exactly on a kink is not judged (the frameworks take the left slope there).
    """

    name: str
    samples: str = "columns"
    weights: str = "out_in"
    biases: str = "column"
    cost: str = "mean"
    per_sample: bool = False
    kink: str = "left"
    targets: str = "probabilities"
    half: bool = True
    clip: float = 0.0
    l2: float = 0.0
    l2_form: str = "lambda/2n"
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"convention name must be a non-empty str, got {self.name!r}")
        for field, value, allowed in (
            ("samples", self.samples, SAMPLES),
            ("weights", self.weights, WEIGHTS),
            ("biases", self.biases, BIASES),
            ("cost", self.cost, COSTS),
            ("kink", self.kink, KINKS),
            ("targets", self.targets, TARGETS),
            ("l2_form", self.l2_form, L2_FORMS),
        ):
            if value not in allowed:
                raise ValueError(f"convention {field} must be one of {list(allowed)}, got {value!r}")
        for field in ("per_sample", "half"):
            if not isinstance(getattr(self, field), bool):
                raise TypeError(f"convention {field} must be True or False, got {getattr(self, field)!r}")
        for field, high in (("clip", 0.5), ("l2", None), ("weight_decay", None)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"convention {field} must be a number, got {type(value).__name__} {value!r}")
            if not (np.isfinite(value) and value >= 0 and (high is None or value < high)):
                bound = f"in [0, {high})" if high is not None else ">= 0"
                raise ValueError(f"convention {field} must be a finite number {bound}, got {value!r}")
        if self.per_sample and self.l2:
            raise ValueError(
                "convention l2 with per_sample: one sample's call has no batch to scale λ/2n by; "
                "declare the update's weight_decay instead (λ/n, as the chapter's update applies it)"
            )

    def describe(self) -> str:
        layout = ("x as (n, 1)" if self.samples == "columns" else "x as (1, n)") if self.per_sample else None
        parts = [
            layout or ("x as (n, N) columns" if self.samples == "columns" else "x as (N, n) rows"),
            "W as (n_out, n_in)" if self.weights == "out_in" else "W as (n_in, n_out)",
            {"column": "b as (n, 1)", "flat": "b as (n,)", "row": "b as (1, n)"}[self.biases],
            "one sample per call" if self.per_sample else "a batch per call",
            {"mean": "the mean cost", "sum": "the summed cost", "elements": "the cost's mean over every output element"}[
                self.cost
            ],
        ]
        if not self.half:
            parts.append("no ½ in the quadratic cost")
        if self.targets != "probabilities":
            parts.append(
                {
                    "one_hot": "one-hot targets",
                    "labels": "integer labels y of shape (N,)",
                    "labels_row": "integer labels y of shape (1, N)",
                    "binary": "0/1 targets",
                }[self.targets]
            )
        if self.clip:
            parts.append(f"the loss's argument clipped at {self.clip:g}")
        if self.l2:
            parts.append(f"L2 {'λ/2n' if self.l2_form == 'lambda/2n' else 'reg'} = {self.l2:g} in the cost")
        if self.weight_decay:
            parts.append(f"weight decay {self.weight_decay:g} in the update")
        return f"{self.name}: " + ", ".join(parts)

    def factor(self, N: int, outputs: int) -> float:
        """Your data cost over the derivation's C (the mean over the batch, with the ½ of the
        quadratic): N for "sum", 1/n_L for "elements", times 2 without the ½."""
        scale = {"mean": 1.0, "sum": float(N), "elements": 1.0 / outputs}[self.cost]
        return scale * (1.0 if self.half else 2.0)

    def l2_coefficient(self, N: int, outputs: int) -> float:
        """c of the c·ΣW² your cost adds, in the derivation's scaling (your coefficient over `factor`)."""
        yours = self.l2 / (2 * N) if self.l2_form == "lambda/2n" else self.l2
        return yours / self.factor(N, outputs)


CONVENTIONS: dict[str, Convention] = {
    convention.name: convention
    for convention in (
        Convention("columns"),
        Convention("rows", samples="rows", weights="in_out", biases="flat"),
        Convention("per-sample", per_sample=True, cost="sum"),
    )
}
"""The named conventions: the derivation's layout; the row-major `x @ W + b` of course
assignments; one column-vector sample per call with C = ½‖a − y‖², as the chapter's
companion code."""


def convention_named(value: str | Convention) -> Convention:
    """A convention by name, or one described by the user."""
    if isinstance(value, Convention):
        return value
    if value not in CONVENTIONS:
        raise ValueError(f"convention must be one of {list(CONVENTIONS)} or a Convention, got {value!r}")
    return CONVENTIONS[value]


# --- the edge ---------------------------------------------------------------------------------
def _inputs(case: Case, c: Convention, sample: int | None) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """Fresh copies of the case's arrays in the implementation's layout (one sample, or the batch)."""
    net = case.network
    weights = [np.array(W.T if c.weights == "in_out" else W) for W in net.weights]
    biases = [np.array(_bias_out(b, c)) for b in net.biases]
    x, y = (case.x, case.y) if sample is None else (case.x[:, sample : sample + 1], case.y[:, sample : sample + 1])
    if c.samples == "rows":
        x, y = x.T, y.T
    if c.targets in ("labels", "labels_row"):  # the drawn targets are one-hot: their classes
        labels = np.argmax(y, axis=0 if c.samples == "columns" else 1).astype(np.int64)
        y = labels[None, :] if c.targets == "labels_row" else labels
    return weights, biases, np.array(x), np.array(y)


def _bias_out(b: np.ndarray, c: Convention) -> np.ndarray:
    """b^l (n, 1) in your layout."""
    return {"column": b, "flat": b[:, 0], "row": b.T}[c.biases]


def _bias_in(b: np.ndarray, c: Convention, layer: int, rows: int) -> np.ndarray:
    """Your b^l (or its gradient) in the derivation's (n, 1). It must come in your layout's
    shape ((n, 1), (n,) or (1, n)): one in another shape (b − η ∂C/∂b would broadcast to an
    (n, n) matrix) is a shape problem, named in your layout."""
    want = {"column": (rows, 1), "flat": (rows,), "row": (1, rows)}[c.biases]
    if b.shape != want:
        raise ImplementationProblem(Problem("shape", "biases", layer, got=b.shape, want=want))
    return b.reshape(rows, 1)


def _parts(result: Any) -> dict[str, Any]:
    """The implementation's answer as {"weights", "biases", and "loss", "deltas" if given}."""
    if isinstance(result, Gradients):
        return {"weights": result.weights, "biases": result.biases, "loss": result.loss, "deltas": result.deltas}
    if isinstance(result, Mapping):
        unknown = sorted(set(result) - {"weights", "biases", "loss", "deltas"})
        if unknown or "weights" not in result or "biases" not in result:
            raise ImplementationProblem(Problem("keys", got=sorted(map(str, result))))
        return {k: v for k, v in result.items() if v is not None}
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return {"weights": result[0], "biases": result[1]}
    raise ImplementationProblem(Problem("returned", got=type(result).__name__))


def _layers(quantity: str, value: Any, L: int, update: bool = False) -> list[np.ndarray]:
    """One array per layer l = 2..L of `quantity` ("weights", "biases", "deltas"; of the update's parameters with `update`)."""
    detail = "update" if update else ""
    if isinstance(value, (np.ndarray, str, bytes)) or not isinstance(value, Sequence):
        raise ImplementationProblem(Problem("not_layers", quantity, got=type(value).__name__, detail=detail))
    if len(value) != L - 1:
        raise ImplementationProblem(Problem("layers", quantity, got=len(value), want=L - 1, detail=detail))
    return [_array(quantity, v) for v in value]


def _array(quantity: str, value: Any) -> np.ndarray:
    """One layer's value as an array; a ragged list, a tensor that needs grad or any other value
    NumPy refuses is your implementation's problem, named (never an exception of ours)."""
    try:
        return np.asarray(value)
    except Exception as error:
        raise ImplementationProblem(Problem("not_array", quantity, got=type(value).__name__, detail=str(error))) from error


PROMOTED = "promoted"
"""The key `adapt` records in `Implementation.observed` when a float32 case came back in float64."""


def _to_derivation(parts: dict[str, Any], case: Case, c: Convention, observed: dict[str, Any]) -> dict[str, Any]:
    """The implementation's gradients in the derivation's layout, unscaled. A float64 answer to
    a float32 case is rounded to float32 and judged (noted in `observed`); any other dtype is refused."""
    L = case.network.L
    dtype = case.network.dtype
    for key in ("weights", "biases", "deltas"):
        values = parts.get(key, ())
        if isinstance(values, (np.ndarray, str, bytes)) or not isinstance(values, Sequence):
            continue  # `_layers` names the problem
        for i, value in enumerate(values):
            got = _array(key, value).dtype
            if got == np.float64 and dtype == np.float32:
                observed[PROMOTED] = observed.get(PROMOTED, 0) + 1
            elif got != dtype:
                raise ImplementationProblem(Problem("dtype", key, i + 2, got=str(got), want=str(dtype), detail="returned"))
    out: dict[str, Any] = {}
    weights = [W.astype(dtype, copy=False) for W in _layers("weights", parts["weights"], L)]
    out["weights"] = [W.T if c.weights == "in_out" and W.ndim == 2 else W for W in weights]
    rows = case.network.sizes[1:]
    biases = _layers("biases", parts["biases"], L)
    out["biases"] = [_bias_in(b.astype(dtype, copy=False), c, l + 2, n) for l, (b, n) in enumerate(zip(biases, rows))]
    if "deltas" in parts:
        deltas = [d.astype(dtype, copy=False) for d in _layers("deltas", parts["deltas"], L)]
        out["deltas"] = [d.T if c.samples == "rows" and d.ndim == 2 else d for d in deltas]
    if "loss" in parts:
        try:
            out["loss"] = float(parts["loss"])
        except (TypeError, ValueError):
            raise ImplementationProblem(Problem("not_a_number", "loss", got=repr(parts["loss"]))) from None
    return out


def _combine(calls: list[dict[str, Any]], case: Case, c: Convention) -> dict[str, Any]:
    """One batch's gradients of the derivation's cost (the mean over the batch, with the
    quadratic's ½), from one call (a batch) or N (one sample each): each call's answer over
    your cost's `Convention.factor`. An L2 term declared stays in (the oracles add it too)."""
    N, n_L = case.x.shape[1], case.network.sizes[-1]
    dtype = case.network.dtype.type
    out: dict[str, Any] = {}
    if not c.per_sample:
        (only,) = calls
        factor = c.factor(N, n_L)
        scale = dtype(1.0 / factor)
        out = {k: [v * scale if factor != 1 else v for v in only[k]] for k in ("weights", "biases", "deltas") if k in only}
        if "loss" in only:
            out["loss"] = only["loss"] / factor
        return out
    # Per sample: C is the mean over x of C_x, so each gradient is the mean over the calls,
    # and column x of δ^l is that sample's δ over N.
    layers = len(calls[0]["weights"])
    over = dtype(N * c.factor(1, n_L))
    for k in ("weights", "biases"):
        out[k] = [sum(call[k][l] for call in calls) / over for l in range(layers)]
    if "deltas" in calls[0]:
        out["deltas"] = [np.concatenate([call["deltas"][l] for call in calls], axis=1) / over for l in range(layers)]
    if "loss" in calls[0]:
        out["loss"] = sum(call["loss"] for call in calls) / (N * c.factor(1, n_L))
    return out


def _same(first: dict[str, Any], second: dict[str, Any], case: Case, c: Convention) -> Problem | None:
    """None when two answers agree within rounding (|u − v| ≤ rtol·S, the autograd tolerance
    at the error scale of any sound formulation: a sum taken in another order moves the last
    bits); else where they first differ, as a Problem ("accumulates" with detail "twice" when
    the second is twice the first, else "differs")."""
    scales: Gradients | None = None
    for k in ("loss", "deltas", "weights", "biases"):
        if k not in first:
            continue
        a = first[k] if k != "loss" else [np.asarray(first[k])]
        b = second[k] if k != "loss" else [np.asarray(second[k])]
        for l, (u, v) in enumerate(zip(a, b)):
            if _identical(u, v):
                continue
            layer = None if k == "loss" else l + 2
            if u.shape == v.shape:
                if scales is None:
                    scales = _scales(case, c)
                scale = scales.loss if k == "loss" else getattr(scales, k)[l]
                judged = judge(v, u, scale=scale, tolerance=tolerance(AUTOGRAD_KIND, case.network.dtype), kind=AUTOGRAD_KIND)
                if np.all(judged.ratio <= 1):
                    continue
            with np.errstate(all="ignore"):
                doubled = u.shape == v.shape and np.allclose(v, 2 * u, rtol=1e-6, atol=0) and np.any(u != 0)
            if doubled:
                return Problem("accumulates", k, layer, detail="twice")
            return Problem("differs", k, layer)
    return None


def _scales(case: Case, c: Convention) -> Gradients:
    """S of the case's every element, as your implementation is judged (any formulation, the L2 term)."""
    S = magnitudes(case, "any")
    if not c.l2:
        return S
    net = case.network
    coefficient = c.l2_coefficient(case.x.shape[1], net.sizes[-1])
    stacked = with_l2_scale(
        Gradients(np.asarray([S.loss]), [d[None] for d in S.deltas], [w[None] for w in S.weights], [b[None] for b in S.biases]),
        [W[None] for W in net.weights],
        np.array([coefficient]),
    )
    return Gradients(float(np.asarray(stacked.loss)[0]), S.deltas, [w[0] for w in stacked.weights], S.biases)


def _check_unchanged(given: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
    for name, before, after in given:
        if not _identical(before, after):
            raise ImplementationProblem(Problem("changed_input", got=name))


def _identical(u: np.ndarray, v: np.ndarray) -> bool:
    """np.array_equal(u, v, equal_nan=True) with the shapes equal; the same bytes (the usual case,
    a few times faster to see) are taken as equal at once."""
    if u.shape != v.shape:
        return False
    if u.dtype == v.dtype and u.flags.c_contiguous and v.flags.c_contiguous and u.tobytes() == v.tobytes():
        return True
    return bool(np.array_equal(u, v, equal_nan=True))


def adapt(
    fn: Callable[..., Any],
    c: Convention,
    case: Case,
    observed: dict[str, Any] | None = None,
    time_limit: float = supervise.DEFAULT_LIMIT,
) -> Gradients:
    """Run `fn` on the case twice in its own convention and return its gradients of the
    case's mean cost in the derivation's layout (absent quantities as None / empty);
    `observed` collects what the edge noticed (a float64 answer to a float32 case)."""
    observed = {} if observed is None else observed
    answers = [_answer(fn, c, case, observed, time_limit) for _ in range(2)]
    differs = _same(answers[0], answers[1], case, c)
    if differs is not None:
        # A third call tells accumulation (the same increment every call) from other state.
        third = _answer(fn, c, case, observed, time_limit)
        if _accumulates(answers[0], answers[1], third):
            differs = Problem("accumulates", differs.quantity, differs.layer)
        raise ImplementationProblem(differs)
    a = answers[0]
    # An absent loss is None and absent δ an empty list: the pipeline judges only what is given.
    return Gradients(loss=a.get("loss"), deltas=a.get("deltas", []), weights=a["weights"], biases=a["biases"])  # type: ignore[arg-type]


def _accumulates(first: dict[str, Any], second: dict[str, Any], third: dict[str, Any]) -> bool:
    """Whether every call adds the same nonzero increment to the gradients."""
    steps = []
    for u, v, w in zip(first["weights"], second["weights"], third["weights"]):
        if not (u.shape == v.shape == w.shape):
            return False
        with np.errstate(all="ignore"):
            steps.append((v - u, w - v))
    return any(np.any(a != 0) for a, _ in steps) and all(np.allclose(a, b, rtol=1e-6, atol=1e-12) for a, b in steps)


def _answer(
    fn: Callable[..., Any], c: Convention, case: Case, observed: dict[str, Any], time_limit: float = supervise.DEFAULT_LIMIT
) -> dict[str, Any]:
    """One answer of `fn` for the case: one call, or one per sample, each supervised (`crosscheck.supervise`)."""
    calls = []
    for sample in range(case.x.shape[1]) if c.per_sample else [None]:
        weights, biases, x, y = _inputs(case, c, sample)
        kept = [(f"weights[{i}]", W.copy(), W) for i, W in enumerate(weights)]
        kept += [(f"biases[{i}]", b.copy(), b) for i, b in enumerate(biases)] + [("x", x.copy(), x), ("y", y.copy(), y)]
        with np.errstate(all="ignore"):
            result = supervise.call(fn, (weights, biases, x, y), time_limit)
        _check_unchanged(kept)
        calls.append(_to_derivation(_parts(result), case, c, observed))
    return _combine(calls, case, c)


def implementation(
    fn: Callable[..., Any],
    *,
    convention: str | Convention = "columns",
    update: Callable[..., Any] | None = None,
    provides: Sequence[str] | None = None,
    name: str = "your implementation",
    time_limit: float = supervise.DEFAULT_LIMIT,
) -> Implementation:
    """Your backward pass as an implementation under test.

    `fn(weights, biases, x, y)` gets the case's arrays in `convention`'s layout and returns
    `(weight_gradients, bias_gradients)` or a dict with "weights", "biases" and optionally
    "loss" and "deltas". `update(weights, biases, x, y, learning_rate)`, if given, returns
    the parameters after one gradient-descent step (new lists; checked like a step).
    `provides` lists the quantities `fn` returns (default: whatever each call returns).
    Each call may take `time_limit` seconds (`crosscheck.supervise`)."""
    c = convention_named(convention)
    if not callable(fn):
        raise TypeError(f"fn must be callable (your backward pass), got {type(fn).__name__}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str (how reports speak of your implementation), got {name!r}")
    if update is not None and not callable(update):
        raise TypeError(f"update must be callable or None, got {type(update).__name__}")
    if provides is not None:
        if isinstance(provides, str) or not all(isinstance(q, str) for q in provides):
            raise TypeError(
                f"provides must be a sequence of quantity names such as ('loss', 'weights', 'biases'), got {provides!r}"
            )
        unknown = [q for q in provides if q not in ("loss", "deltas", "weights", "biases")]
        if unknown or not {"weights", "biases"} <= set(provides):
            raise ValueError(f"provides must name 'weights' and 'biases', and may add 'loss' and 'deltas'; got {list(provides)}")
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.integer, np.floating)):
        raise TypeError(f"time_limit must be a number of seconds, got {type(time_limit).__name__} {time_limit!r}")
    if not (np.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be a finite number of seconds > 0, got {time_limit}")
    time_limit = float(time_limit)

    observed: dict[str, Any] = {}

    def backward(case: Case) -> Gradients:
        return adapt(fn, c, case, observed, time_limit)

    step = None if update is None else (lambda case, eta: _step(update, c, case, eta, time_limit))
    return Implementation(
        name,
        backward,
        step,
        tuple(provides) if provides is not None else None,
        setup=_setup(fn, update, c),
        formulation="any",
        regularization=c.l2_coefficient if c.l2 else None,
        weight_decay=float(c.weight_decay),
        redeclared=lambda other: implementation(
            fn, convention=other, update=update, provides=provides, name=name, time_limit=time_limit
        ),
        observed=observed,
    )


def _step(update: Callable[..., Any], c: Convention, case: Case, learning_rate: float, time_limit: float) -> Parameters:
    """Your update on the case's batch (a per-sample convention's too: one mini-batch step)."""
    weights, biases, x, y = _inputs(case, c, None)
    with np.errstate(all="ignore"):
        result = supervise.call(update, (weights, biases, x, y, learning_rate), time_limit, raised="update_raised")
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise ImplementationProblem(Problem("update_returned", got=type(result).__name__))
    L = case.network.L
    new_W = [W.T if c.weights == "in_out" else W for W in _layers("weights", result[0], L, update=True)]
    rows = case.network.sizes[1:]
    new_b = [_bias_in(b, c, l + 2, n) for l, (b, n) in enumerate(zip(_layers("biases", result[1], L, update=True), rows))]
    return new_W, new_b


def _setup(fn: Callable[..., Any], update: Callable[..., Any] | None, c: Convention) -> str:
    """The lines of a reproduction that import your function and make `implementation`."""
    lines = []
    names = []
    for f in (fn, update):
        if f is None:
            continue
        module, qualname = getattr(f, "__module__", None), getattr(f, "__qualname__", "")
        if not module or module == "__main__" or "<" in qualname:
            lines.append(f"# {getattr(f, '__name__', f)!s} is not importable: define it in a module to rebuild this case")
            names.append(getattr(f, "__name__", "fn"))
        else:
            top = qualname.split(".")[0]
            lines.append(f"from {module} import {top}")
            names.append(qualname)
    conv = repr(c.name) if CONVENTIONS.get(c.name) == c else f"crosscheck.{c!r}"
    update_arg = f", update={names[1]}" if update is not None else ""
    lines.append(f"implementation = crosscheck.implementation({names[0]}, convention={conv}{update_arg})")
    return "\n".join(lines)
