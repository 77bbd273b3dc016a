"""The edge: your layout and your cost on one side, the derivation's on the other.

The case's arrays go out in your convention (`inputs`); what your code returned comes back
(as data, `crosscheck.wire`) and is taken into the derivation's layout, unscaled
(`in_derivation`), then over your cost's scale (`combined`: a batch per call, or one sample
per call). Everything after this module sees only the derivation's layout (docs/DESIGN.md,
"The implementation under test"). Each function is data in, data out; a `Problem` names what
your answer got wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from crosscheck.case import Case
from crosscheck.convention import Convention
from crosscheck.problems import ImplementationProblem, Problem
from crosscheck.wire import Opaque, Record, type_name


def inputs(case: Case, c: Convention, sample: int | None) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """Fresh copies of the case's arrays in the implementation's layout (one sample, or the batch)."""
    net = case.network
    weights = [np.array(W.T if c.weights == "in_out" else W) for W in net.weights]
    biases = [np.array(bias_out(b, c)) for b in net.biases]
    x, y = (case.x, case.y) if sample is None else (case.x[:, sample : sample + 1], case.y[:, sample : sample + 1])
    if c.samples == "rows":
        x, y = x.T, y.T
    if c.targets in ("labels", "labels_row"):  # the drawn targets are one-hot: their classes
        labels = np.argmax(y, axis=0 if c.samples == "columns" else 1).astype(np.int64)
        y = labels[None, :] if c.targets == "labels_row" else labels
    return weights, biases, np.array(x), np.array(y)


def bias_out(b: np.ndarray, c: Convention) -> np.ndarray:
    """b^l (n, 1) in your layout."""
    return {"column": b, "flat": b[:, 0], "row": b.T}[c.biases]


def bias_in(b: np.ndarray, c: Convention, layer: int, rows: int) -> np.ndarray:
    """Your b^l (or its gradient) in the derivation's (n, 1). It must come in your layout's
    shape ((n, 1), (n,) or (1, n)): one in another shape (b − η ∂C/∂b would broadcast to an
    (n, n) matrix) is a shape problem, named in your layout."""
    want = {"column": (rows, 1), "flat": (rows,), "row": (1, rows)}[c.biases]
    if b.shape != want:
        raise ImplementationProblem(Problem("shape", "biases", layer, got=b.shape, want=want))
    return b.reshape(rows, 1)


def parts_of(result: Any, c: Convention) -> dict[str, Any]:
    """Your answer as {"weights", "biases", and "loss", "deltas" if given}: a dict, a pair (in `c.order`), or a
    `reference.Gradients` (which crosses the boundary as a Record of its fields)."""
    if isinstance(result, Record) and result.type == "Gradients":
        result = dict(result.fields)
    if isinstance(result, Mapping):
        # A key that is not text (wire.NonText) is never taken for the text key it prints as.
        unknown = [k for k in result if not isinstance(k, str) or k not in {"weights", "biases", "loss", "deltas"}]
        if unknown or "weights" not in result or "biases" not in result:
            raise ImplementationProblem(Problem("keys", got=sorted(str(k) if isinstance(k, str) else f"({k})" for k in result)))
        return {k: v for k, v in result.items() if v is not None and not (k == "deltas" and v == [])}
    if isinstance(result, (tuple, list)) and len(result) == 2:
        first, second = ("weights", "biases") if c.order == "weights_first" else ("biases", "weights")
        return {first: result[0], second: result[1]}
    raise ImplementationProblem(Problem("returned", got=type_name(result)))


def layers(quantity: str, value: Any, L: int, update: bool = False) -> list[np.ndarray]:
    """One array per layer l = 2..L of `quantity` ("weights", "biases", "deltas"; of the update's parameters with `update`)."""
    detail = "update" if update else ""
    if isinstance(value, (np.ndarray, str, bytes)) or not isinstance(value, Sequence):
        raise ImplementationProblem(Problem("not_layers", quantity, got=type_name(value), detail=detail))
    if len(value) != L - 1:
        raise ImplementationProblem(Problem("layers", quantity, got=len(value), want=L - 1, detail=detail))
    return [array_of(quantity, v) for v in value]


def array_of(quantity: str, value: Any) -> np.ndarray:
    """One layer's value as an array; a ragged list, a tensor that needs grad or any other value
    NumPy refuses is your implementation's problem, named (never an exception of ours)."""
    inside = _opaque_in(value)
    if inside is not None:
        raise ImplementationProblem(Problem("not_array", quantity, got=inside.type, detail=getattr(inside, "why", "a record")))
    try:
        return np.asarray(value)
    except Exception as error:
        raise ImplementationProblem(Problem("not_array", quantity, got=type(value).__name__, detail=str(error))) from error


def _opaque_in(value: Any, depth: int = 0) -> Opaque | Record | None:
    """The first value in `value` (itself, or inside its lists) that did not cross as data."""
    if isinstance(value, (Opaque, Record)):
        return value
    if isinstance(value, (list, tuple)) and depth < 64:
        return next((found for v in value if (found := _opaque_in(v, depth + 1)) is not None), None)
    return None


PROMOTED = "promoted"
"""The key `adapt` records in `Implementation.observed` when a float32 case came back in float64."""


def in_derivation(parts: dict[str, Any], case: Case, c: Convention, observed: dict[str, Any]) -> dict[str, Any]:
    """The implementation's gradients in the derivation's layout, unscaled. A float64 answer to
    a float32 case is rounded to float32 and judged (noted in `observed`); any other dtype is refused."""
    L = case.network.L
    dtype = case.network.dtype
    for key in ("weights", "biases", "deltas"):
        values = parts.get(key, ())
        if isinstance(values, (np.ndarray, str, bytes)) or not isinstance(values, Sequence):
            continue  # `layers` names the problem
        for i, value in enumerate(values):
            got = array_of(key, value).dtype
            if got == np.float64 and dtype == np.float32:
                observed[PROMOTED] = observed.get(PROMOTED, 0) + 1
            elif got != dtype:
                raise ImplementationProblem(Problem("dtype", key, i + 2, got=str(got), want=str(dtype), detail="returned"))
    out: dict[str, Any] = {}
    weights = [W.astype(dtype, copy=False) for W in layers("weights", parts["weights"], L)]
    out["weights"] = [W.T if c.weights == "in_out" and W.ndim == 2 else W for W in weights]
    rows = case.network.sizes[1:]
    biases = layers("biases", parts["biases"], L)
    out["biases"] = [bias_in(b.astype(dtype, copy=False), c, l + 2, n) for l, (b, n) in enumerate(zip(biases, rows))]
    if "deltas" in parts:
        deltas = [d.astype(dtype, copy=False) for d in layers("deltas", parts["deltas"], L)]
        out["deltas"] = [d.T if c.samples == "rows" and d.ndim == 2 else d for d in deltas]
    if "loss" in parts:
        out["loss"] = loss_of(parts["loss"])
    return out


def loss_of(value: Any) -> float:
    """Your C as a number: a float, a NumPy scalar, or an array of one element ((1, 1) as well)."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        return float(value.reshape(-1)[0])
    if isinstance(value, (bool, int, float)) and not isinstance(value, bool):
        return float(value)
    shown = f"{type_name(value)} of shape {value.shape}" if isinstance(value, np.ndarray) else type_name(value)
    raise ImplementationProblem(Problem("not_a_number", "loss", got=shown))


def combined(calls: list[dict[str, Any]], case: Case, c: Convention) -> dict[str, Any]:
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
