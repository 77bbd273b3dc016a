"""What went wrong, in the words of the derivation: the equation implicated, and a named slip.

Walking back from the output, the first quantity that departs from the oracles names the
equation: the cost C (the forward pass or the loss), δ^L (BP1), δ^l while δ^{l+1} agrees
(BP2), ∂C/∂b^l or ∂C/∂W^l while δ^l agrees (BP3, BP4). Without δ, the highest layer whose
gradients depart says where. Then the departing tensor is held against the signatures of
the common slips (the mutant catalogue's): N× or 1/N×, the sign, the transpose, BP2
without ⊙σ'(z^l), σ' taken at a^l, the literal recursion, BP1 without σ', BP3 from one
sample, BP4 with a^l, all zeros, differences only where z sits on a kink. A match is a
hypothesis, and is said so; the equation is the finding.

Signatures are computed from the oracle's own values and from the counterparts'
functions (σ differenced, never the reference's σ'), in float64, and matched at a loose
relative tolerance: they only name a slip the judge has already found.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from crosscheck import counterparts
from crosscheck.case import Case
from crosscheck.findings import Diagnosis, PrecisionNote, Slip, advice
from crosscheck.judge import TensorCheck, symbol
from reference import Gradients

MATCH = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 2e-3}
"""Relative tolerance of a signature match, by dtype (loose: the judge found the slip)."""
H = 1e-5


def _close(u: np.ndarray, v: np.ndarray, rtol: float) -> bool:
    """u ≈ v everywhere, relative to the larger tensor's scale (and not both zero)."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if u.shape != v.shape or not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        return False
    scale = max(float(np.max(np.abs(u), initial=0.0)), float(np.max(np.abs(v), initial=0.0)))
    return scale > 0 and float(np.max(np.abs(u - v), initial=0.0)) <= rtol * scale


def forward(case: Case) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """z^l and a^l (a^1 = x) in float64 from the counterparts' σ."""
    hidden, output, _ = (case.names[0], case.names[1], case.names[2])
    zs, acts = [], [case.x.astype(np.float64)]
    Ws = [W.astype(np.float64) for W in case.network.weights]
    for i, (W, b) in enumerate(zip(Ws, case.network.biases)):
        z = W @ acts[-1] + b.astype(np.float64)
        zs.append(z)
        acts.append(counterparts.activation(output if i == len(Ws) - 1 else hidden).numpy(z))
    return zs, acts


def _slope(name: str, z: np.ndarray) -> np.ndarray:
    """σ'(z) by central differences of the counterpart's σ (element-wise σ only)."""
    sigma = counterparts.activation(name).numpy
    h = H * np.maximum(1.0, np.abs(z))
    return (sigma(z + h) - sigma(z - h)) / (2 * h)


def _loss_gradient(case: Case, a: np.ndarray) -> np.ndarray:
    """∇_a C of the batch cost by central differences of the counterpart's cost (samples are independent)."""
    per_sample = counterparts.loss(case.names[2]).numpy_per_sample
    y = case.y.astype(np.float64)
    g = np.zeros_like(a)
    for j in range(a.shape[0]):
        h = H * np.maximum(1.0, np.abs(a[j]))
        up, down = a.copy(), a.copy()
        up[j] += h
        down[j] -= h
        g[j] = (per_sample(up, y) - per_sample(down, y)) / (2 * h)
    return g


def _flipped_sigmoid_cost(case: Case) -> np.ndarray:
    """The cost of the case's network with every sigmoid replaced by σ(−z)."""
    hidden, output, loss = case.names
    a = case.x.astype(np.float64)
    Ws = case.network.weights
    for i, (W, b) in enumerate(zip(Ws, case.network.biases)):
        name = output if i == len(Ws) - 1 else hidden
        z = W.astype(np.float64) @ a + b.astype(np.float64)
        a = counterparts.activation(name).numpy(-z if name == "sigmoid" else z)
    return np.asarray(counterparts.loss(loss).numpy_per_sample(a, case.y.astype(np.float64)).sum())


def kink_samples(case: Case, zs: list[np.ndarray]) -> np.ndarray:
    """Per sample: whether some z^l sits exactly on a kink of its σ."""
    hidden, output, _ = case.names
    on = np.zeros(case.x.shape[1], dtype=bool)
    for i, z in enumerate(zs):
        sigma = counterparts.activation(output if i == len(zs) - 1 else hidden)
        for kink in sigma.kinks:
            on |= np.any(z == kink, axis=0)
    return on


def _order(L: int) -> list[tuple[str, int | None]]:
    """C, δ^L .. δ^2, then ∂C/∂b^l and ∂C/∂W^l from l = L down: the walk back from the output."""
    walk: list[tuple[str, int | None]] = [("loss", None), *(("deltas", l) for l in range(L, 1, -1))]
    for l in range(L, 1, -1):
        walk += [("biases", l), ("weights", l)]
    return walk


GRADIENT_EQUATIONS = ("BP1", "BP2", "BP3", "BP4", "L2")
"""The equations a gradient quantity (δ, ∂C/∂W, ∂C/∂b) departs by."""


def diagnose(
    case: Case,
    tested: Gradients,
    tensors: tuple[TensorCheck, ...],
    oracle: Gradients | None,
    *,
    regularization: float | None = None,
) -> Diagnosis:
    """The diagnosis of one failing comparison: `tensors` judged `tested` against `oracle`,
    all the evidence read: which tensors agree (∂C/∂W^l agreeing clears δ^l, so a departing
    ∂C/∂b^l is BP3), whether the returned loss agrees (a mean loss with N× gradients is a
    missing 1/N, never a convention), and the L2 coefficient c the implementation declares.
    Its `gradients` is decided here too, once: the equation the gradients break with the cost left aside
    (grading's BP1-BP4 tests read it, and the report says it beside a cost that departs first)."""
    found = _first_departure(case, tested, tensors, oracle, regularization)
    if found.equation in GRADIENT_EQUATIONS:
        return replace(found, gradients=found.equation)
    aside = tuple(t for t in tensors if t.quantity != "loss")
    if all(t.ok for t in aside):
        return found
    again = _first_departure(case, tested, aside, oracle, regularization)
    return replace(found, gradients=again.equation if again.equation in GRADIENT_EQUATIONS else _by_place(case, aside))


def _by_place(case: Case, tensors: tuple[TensorCheck, ...]) -> str:
    """The equation of the first departing gradient quantity by its place alone, where the evidence names none
    (a structural problem, say): δ^L or layer L's gradients are BP1's, a hidden layer's BP2's."""
    L = case.network.L
    off = [t for t in tensors if not t.ok]
    if any(t.quantity == "deltas" and t.layer == L for t in off):
        return "BP1"
    if any(t.quantity == "deltas" for t in off):
        return "BP2"
    top = max((t.layer or 0 for t in off), default=0)
    if top == L:
        return "BP1"
    return "BP2" if top else ""


def _first_departure(
    case: Case, tested: Gradients, tensors: tuple[TensorCheck, ...], oracle: Gradients | None, regularization: float | None
) -> Diagnosis:
    """The diagnosis from the first departing quantity, walking back from the output (see `diagnose`)."""
    problems = [t for t in tensors if t.problem is not None]
    if problems:
        return _structural(case, problems[0])
    off = {(t.quantity, t.layer) for t in tensors if not t.ok}
    given = {t.quantity for t in tensors}
    L = case.network.L
    first = next(((q, l) for q, l in _order(L) if (q, l) in off), None)
    if first is None:
        return Diagnosis(None, None, "")
    quantity, layer = first
    if quantity == "loss":
        equation = "loss"
    elif quantity == "deltas":
        equation = "BP1" if layer == L else "BP2"
    elif "deltas" in given:
        equation = "BP3" if quantity == "biases" else "BP4"
    elif quantity == "biases" and ("weights", layer) not in off and _determines(case, layer):
        # ∂C/∂W^l = δ^l (a^{l−1})ᵀ agrees, so δ^l is right: the sum over the samples is off. (Where a^{l−1}
        # is all zeros, a dead ReLU layer say, an agreeing ∂C/∂W^l says nothing of δ^l.)
        equation = "BP3"
    else:
        # No δ to separate them: the gradients of layer l depart first. ∂C/∂b^l = Σ δ^l, so a
        # departing ∂C/∂b^l puts δ^l itself (BP1 at L, BP2 below) or BP3 in question.
        equation = ("BP1" if layer == L else "BP2") if quantity == "biases" else "BP4"
    no_deltas = "deltas" not in given and quantity in ("biases", "weights") and equation != "BP3"
    loss_agrees = any(t.quantity == "loss" and t.ok for t in tensors)
    slips = () if oracle is None else _slips(case, tested, oracle, quantity, layer, loss_agrees=loss_agrees)
    if quantity == "weights" and oracle is not None and not set(Diagnosis(None, None, "", slips).keys) & BP4_VALUES:
        l2 = _l2_slip(case, tested, oracle, layer, regularization)
        if l2 is not None:
            slips, equation, no_deltas = (l2, *slips), "L2", False
    if quantity == "loss" and oracle is not None:
        in_loss = _l2_in_loss(case, tested, oracle, off, regularization)
        if in_loss is not None:
            slips, equation, quantity, layer = (in_loss[0], *slips), "L2", "weights", in_loss[1]
    convention = "" if oracle is None or loss_agrees else _conventional(case, tested, oracle, given, slips)
    return Diagnosis(quantity, layer, equation, slips, no_deltas=no_deltas, convention=convention)


BP4_VALUES = {"bp4_current_activation", "product_rule_operand"}
"""BP4's slips whose values name them, which a one-weight layer's difference can also fit as k·W (an L2 term)."""


def _determines(case: Case, layer: int | None) -> bool:
    """Whether an agreeing ∂C/∂W^l = δ^l (a^{l−1})ᵀ vouches for δ^l: a^{l−1} is finite and not all zeros. (It
    pins δ^l down exactly only where a^{l−1} has independent columns; a slip of δ that keeps δ (a^{l−1})ᵀ
    while changing Σ_n δ takes a^{l−1} with no information in it, and all zeros is the case met.)"""
    if layer is None:
        return False
    _, acts = forward(case)
    a = acts[layer - 2]
    return bool(np.all(np.isfinite(a)) and np.any(a != 0))


def _l2_in_loss(
    case: Case, tested: Gradients, oracle: Gradients, off: set[tuple[str, int | None]], c: float | None
) -> tuple[Slip, int] | None:
    """A loss off by R = k/2 ΣW² whose ∂C/∂W are off by k·W: an L2 term (its slip, and the
    last layer where it shows), not a slip in the cost."""
    layers = sorted((l for q, l in off if q == "weights" and l is not None), reverse=True)
    for layer in layers:
        slip = _l2_slip(case, tested, oracle, layer, c)
        if slip is None:
            continue
        W = case.network.weights[layer - 2].astype(np.float64)
        d = _get(tested, "weights", layer) - _get(oracle, "weights", layer)
        k = float(np.sum(d * W) / np.sum(W * W))
        R = k / 2 * sum(float(np.sum(w.astype(np.float64) ** 2)) for w in case.network.weights)
        if _close(np.asarray(float(tested.loss) - float(oracle.loss)), np.asarray(R), MATCH[np.dtype(case.network.dtype)]):
            return slip, layer
    return None


def _l2_slip(case: Case, tested: Gradients, oracle: Gradients, layer: int | None, c: float | None) -> Slip | None:
    """Your ∂C/∂W^l − the oracles' = k W^l (and ∂C/∂b^l agrees): an L2 term's gradient off by k·W."""
    if layer is None:
        return None
    W = case.network.weights[layer - 2].astype(np.float64)
    d = _get(tested, "weights", layer) - _get(oracle, "weights", layer)
    if not np.any(W != 0) or not np.all(np.isfinite(d)):
        return None
    k = float(np.sum(d * W) / np.sum(W * W))
    rtol = MATCH[np.dtype(case.network.dtype)]
    if k == 0 or not _close(d, k * W, rtol):
        return None
    if W.size < 2 and not (c and _simple((2 * c + k) / (2 * c))):
        # One weight: any difference is some k·W. Only a declared term off by a plain factor (none, ½, 2, ...) says L2.
        return None
    o = _get(oracle, "weights", layer)
    if not c and np.any(o != 0) and _close(d, float(np.sum(d * o) / np.sum(o * o)) * o, rtol):
        return None  # as much a scaled ∂C/∂W (a 1×1 layer, say) as an L2 term, and none is declared
    if c:
        given = (2 * c + k) / (2 * c)
        return Slip(
            "regularizer",
            f"the L2 term's gradient off: your ∂C/∂W^{layer} is the oracles' + {k:.4g}·W^{layer}, so your regularizer's "
            f"gradient is {given:.4g}× the declared one (2c·W = {2 * c:.4g}·W: check λ/n against λ/2n, the 2"
            + advice(", and the convention's l2 and l2_form")
            + ")",
        )
    return Slip(
        "regularizer",
        f"an L2 term the convention does not declare: your ∂C/∂W^{layer} is the oracles' + {k:.4g}·W^{layer} "
        f"(the gradient of c·ΣW² with c = {k / 2:.4g})"
        + advice("; declare it: Convention(l2=..., l2_form='reg', 'lambda/2' or 'lambda/2n')"),
    )


def _simple(ratio: float) -> bool:
    """A factor a regularizer's slip gives: a multiple of ¼ within ±4 (0 for a term left out, ½, 2, −1, ...)."""
    return abs(ratio) <= 4 and abs(4 * ratio - round(4 * ratio)) <= 1e-6 and round(4 * ratio) != 4


def precision_note(case: Case, strict: tuple[TensorCheck, ...]) -> PrecisionNote | None:
    """The note for an implementation that agrees but fails the reference's strict standard:
    its worst element there, and the z it sits behind (that of its own layer, its row)."""
    worst = max((t for t in strict if t.problem is None), key=lambda t: t.ratio, default=None)
    if worst is None or worst.ratio <= 1 or worst.layer is None:
        return None
    zs, _ = forward(case)
    layer = worst.layer
    row = worst.index[0] if worst.index else 0
    z = zs[layer - 2][row]
    hidden, output, _ = case.names
    name = output if layer == case.network.L else hidden
    return PrecisionNote(
        worst.quantity,
        layer,
        worst.index,
        worst.ratio,
        name,
        layer,
        (float(z.min()), float(z.max())),
        counterparts.activation(name).stable_form,
    )


KINK_CONVENTION = "a kink convention"
SUMMED = "the cost summed over the batch"


def _conventional(case: Case, tested: Gradients, oracle: Gradients, given: set[str], slips: tuple[Slip, ...]) -> str:
    """A convention rather than a slip: every given tensor N× the oracles' (a summed cost), or
    differences only where z sits exactly on a kink."""
    if any(slip.key == "kink" for slip in slips):
        return "your σ' takes another value than the left slope where z is exactly on a kink" + advice(
            "; declare convention kink='right' (or 'either') to have those cases left unjudged"
        )
    N = case.x.shape[1]
    rtol = MATCH[np.dtype(case.network.dtype)]
    if N < 2:
        return ""
    pairs = [(np.asarray(tested.loss), np.asarray(oracle.loss))] if "loss" in given else []
    for quantity in ("deltas", "weights", "biases"):
        if quantity in given:
            pairs += list(zip(getattr(tested, quantity), getattr(oracle, quantity)))
    if pairs and all(_close(u, N * o, rtol) or (np.all(u == 0) and np.all(o == 0)) for u, o in pairs):
        return f"every quantity is N = {N} times the oracles': {SUMMED}, where the derivation takes the mean" + advice(
            "; if that is your cost, declare the convention cost='sum' (or use the 'per-sample' convention)"
        )
    return ""


def _structural(case: Case, check: TensorCheck) -> Diagnosis:
    """A problem that stops the element-wise comparison: the slip its kind and data show."""
    p = check.problem
    assert p is not None
    slips: list[Slip] = []
    if p.kind == "accumulates":
        slips.append(Slip("accumulates", "gradients accumulating across calls (not zeroed between calls)"))
    if p.kind == "layers" and p.detail != "oracle" and p.got == p.want - 1:
        slips.append(Slip("stops_early", "a loop that stops one layer early"))
    equation = ""
    if p.kind == "shape" and p.layer is not None and p.quantity in ("deltas", "weights", "biases"):
        got, want = tuple(p.got), tuple(p.want)
        if len(got) == 2 and got == want[::-1]:
            slips.append(
                Slip("transposed", f"{symbol(p.quantity, p.layer)} transposed: its shape is the transpose of the one expected")
            )
        if p.quantity == "biases" and got and got[0] == case.x.shape[1] and want[0] != got[0]:
            slips.append(
                Slip(
                    "bias_wrong_axis", "∂C/∂b^l summed over the wrong axis: one entry per sample where BP3 sums over the samples"
                )
            )
        at_output = p.quantity == "deltas" and p.layer == case.network.L
        equation = "BP1" if at_output else {"deltas": "BP2", "weights": "BP4", "biases": "BP3"}[p.quantity]
    where = p.quantity if p.layer is not None and p.kind == "shape" else None
    return Diagnosis(where, p.layer if where else None, equation, tuple(slips), problem=p)


def _get(g: Gradients, quantity: str, layer: int | None) -> np.ndarray:
    return np.asarray(g.loss if layer is None else getattr(g, quantity)[layer - 2], dtype=np.float64)


def _slips(
    case: Case, tested: Gradients, oracle: Gradients, quantity: str, layer: int | None, *, loss_agrees: bool = False
) -> tuple[Slip, ...]:
    """Every named slip whose signature the departing tensor matches, in a fixed order: the
    whole tensor scaled, the equation's own slips, the layer's, then a kink convention."""
    rtol = MATCH[np.dtype(case.network.dtype)]
    u, o = _get(tested, quantity, layer), _get(oracle, quantity, layer)
    zs, acts = forward(case)
    found = _scaled(u, o, case.x.shape[1], quantity, layer, rtol, loss_agrees=loss_agrees)
    if quantity == "loss" and case.names[2] == "quadratic" and _close(u, 2 * o, rtol):
        twice = "the cost without its ½: your C is twice ½‖a − y‖²" + advice(" (declare half=False if you mean it)")
        found.append(Slip("cost_half", twice))
    if quantity == "loss" and "sigmoid" in case.names[:2] and _close(u, _flipped_sigmoid_cost(case), rtol):
        found.append(
            Slip(
                "literal_sigmoid",
                "the source text's printed sigmoid 1/(1 + exp(z)): the exponent's sign lost (σ(z) = 1/(1 + e^{−z}))",
            )
        )
    if quantity == "deltas" and layer is not None:
        found += _delta_slips(case, u, oracle, zs, acts, layer, rtol=rtol, named=bool(found))
    if quantity in ("biases", "weights") and layer is not None and not tested.deltas and oracle.deltas:
        if quantity == "biases" and case.x.shape[1] == 1 and u.shape == _get(oracle, "deltas", layer).shape:
            # At N = 1, ∂C/∂b^l = δ^l: your δ^l, read off it, tells BP1's and BP2's slips apart.
            seen = _delta_slips(case, u, oracle, zs, acts, layer, rtol=rtol, named=bool(found))
            found += [
                Slip(s.key, f"{s.text} (seen through {symbol(quantity, layer)}, which is δ^{layer} at N = 1)") for s in seen
            ]
        else:
            found += _gradient_slips(case, u, oracle, zs, acts, quantity=quantity, layer=layer, rtol=rtol)
    if layer is not None and oracle.deltas and quantity in ("biases", "weights", "deltas"):
        found += _one_path(case, u, oracle, (zs, acts), quantity, layer, rtol=rtol)
    found += _layer_slips(case, u, oracle, acts, quantity, layer, rtol=rtol)
    found += _kink_slip(case, u, o, zs, quantity, layer, rtol=rtol)
    return tuple(found)


def _scaled(
    u: np.ndarray, o: np.ndarray, N: int, quantity: str, layer: int | None, rtol: float, *, loss_agrees: bool = False
) -> list[Slip]:
    """The whole tensor N×, 1/N×, −1× or transposed against the oracle's, or all zeros."""
    found: list[Slip] = []
    if N > 1 and loss_agrees and _close(u, N * o, rtol):
        found.append(
            Slip(
                "missing_mean",
                f"every element N = {N} times the oracles' while your loss agrees (it is the mean over the batch): "
                "the mean's 1/N left out of the gradient (not a convention: your own cost is the mean)",
            )
        )
    elif N > 1 and _close(u, N * o, rtol):
        found.append(
            Slip(
                "summed_cost",
                f"every element N = {N} times the oracles': the cost summed over the batch where the derivation takes the "
                "mean" + advice(" (if that is your cost, declare the convention cost='sum')") + ", or the mean's 1/N left out",
            )
        )
    if N > 1 and _close(u, o / N, rtol):
        found.append(
            Slip(
                "one_over_n_twice",
                f"every element 1/N = 1/{N} of the oracles': the 1/N of the mean cost applied twice, or a mean where BP3/BP4 sum",
            )
        )
    if _close(u, -o, rtol):
        found.append(Slip("sign", "the sign flipped: the error written y − a where the derivation has a − y"))
    if u.ndim == 2 and u.shape[0] == u.shape[1] and u.shape[0] > 1 and _close(u, o.T, rtol) and not _close(o, o.T, rtol):
        found.append(Slip("transposed", f"{symbol(quantity, layer)} transposed: it equals the oracles' transpose"))
    if np.all(u == 0) and np.any(o != 0):
        found.append(Slip("all_zeros", "all zeros: a layer skipped, or a loop that stops one layer early"))
    return found


def _layer_slips(
    case: Case, u: np.ndarray, oracle: Gradients, acts: list[Any], quantity: str, layer: int | None, *, rtol: float
) -> list[Slip]:
    """Non-finite values; BP3 from the first sample; BP4 with a^l."""
    found: list[Slip] = []
    if not np.all(np.isfinite(u)):
        where = symbol(quantity, layer)
        found.append(
            Slip(
                "non_finite",
                f"non-finite values (NaN or ±inf) in {where}: an overflow, a division by zero or an uninitialised array",
            )
        )
    if layer is None or not oracle.deltas:
        return found
    delta = _get(oracle, "deltas", layer)
    N = case.x.shape[1]
    if quantity == "biases" and N > 1 and (_close(u, delta[:, :1], rtol) or _close(u, N * delta[:, :1], rtol)):
        found.append(Slip("bias_first_sample", "∂C/∂b^l from the first sample only: BP3 sums δ^l over every sample (column)"))
    if quantity == "weights":
        a = acts[layer - 1]
        if a.shape[0] == acts[layer - 2].shape[0] and _close(u, delta @ a.T, rtol):
            found.append(Slip("bp4_current_activation", "BP4 with a^l where a^{l−1} belongs: ∂C/∂W^l = δ^l (a^{l−1})ᵀ"))
        W = case.network.weights[layer - 2].astype(np.float64)
        if _close(u, W * delta.sum(axis=1, keepdims=True), rtol):
            found.append(Slip("product_rule_operand", PRODUCT_RULE + f": ∂(W a)/∂W taken as W where a^{layer - 1} belongs (BP4)"))
    return found


PRODUCT_RULE = "the product rule with the wrong operand (∂(u·v)/∂u = v, not u)"


def _one_path(
    case: Case, u: np.ndarray, oracle: Gradients, forward_: tuple[list[Any], list[Any]], quantity: str, layer: int, *, rtol: float
) -> list[Slip]:
    """A lost accumulation: every element of yours is one term of the sum the derivation takes (one sample's
    share of ∂C/∂b^l or ∂C/∂W^l, or, in δ^l, one unit's share of (W^{l+1})ᵀ δ^{l+1}), where the oracles give
    the whole sum: a gradient overwritten (=) where it is accumulated (+=)."""
    zs, acts = forward_
    delta = _get(oracle, "deltas", layer)
    N = delta.shape[1]
    carried = quantity == "deltas" or (quantity == "biases" and N == 1)  # δ^l itself: a sum over layer l+1's units
    if carried:
        if layer == case.network.L:
            return []
        W_next, d_next = case.network.weights[layer - 1].astype(np.float64), _get(oracle, "deltas", layer + 1)
        terms = W_next[:, :, None] * d_next[:, None, :] * _slope(case.names[0], zs[layer - 2])[None]  # (n_{l+1}, n_l, N)
    elif quantity == "biases":
        terms = np.moveaxis(delta, 1, 0)[:, :, None]  # (N, n_l, 1): each sample's δ^l
    else:
        terms = np.einsum("jn,kn->njk", delta, acts[layer - 2])  # (N, n_l, n_{l−1}): each sample's δ (a^{l−1})ᵀ
    if terms.shape[0] < 2 or terms.shape[1:] != u.shape:
        return []
    scale = max(float(np.max(np.abs(terms), initial=0.0)), float(np.max(np.abs(u), initial=0.0)), 1e-300)
    matched = np.any(np.abs(terms - u[None]) <= rtol * scale, axis=0)
    if not matched.all() or _close(u, terms.sum(axis=0), rtol):
        return []
    return [
        Slip(
            "lost_accumulation",
            f"a lost accumulation: each element of your {symbol(quantity, layer)} is one term of the sum the "
            "derivation takes (one sample's, or one unit's, share), where the oracles give the whole sum: a gradient "
            "overwritten (=) where it must be accumulated (+=)",
        )
    ]


def _kink_slip(
    case: Case, u: np.ndarray, o: np.ndarray, zs: list[Any], quantity: str, layer: int | None, *, rtol: float
) -> list[Slip]:
    """Differences only in samples where some z sits exactly on a kink: a kink convention."""
    hidden, output, _ = case.names
    sigma = counterparts.activation(output if layer == case.network.L else hidden)
    if not (sigma.kinks or counterparts.activation(hidden).kinks):
        return []
    kinks = kink_samples(case, zs)
    bad = _off_samples(u, o, quantity, rtol)
    if not (kinks.any() and bad is not None and bad.any() and not (bad & ~kinks).any()):
        return []
    return [
        Slip(
            "kink",
            f"{KINK_CONVENTION}: the differences sit only in samples where some z is exactly on a kink "
            "(relu and leaky_relu at 0), where the reference and the frameworks take the left slope"
            + advice("; if your σ' takes another value there on purpose, declare the convention kink='right' (or 'either')"),
        )
    ]


def _off_samples(u: np.ndarray, o: np.ndarray, quantity: str, rtol: float) -> np.ndarray | None:
    """Per sample, whether δ differs there (only δ has a sample axis)."""
    if quantity != "deltas" or u.shape != o.shape:
        return None
    scale = max(float(np.max(np.abs(o), initial=0.0)), 1e-300)
    return np.any(np.abs(u - o) > rtol * scale, axis=0)


def _delta_candidates(case: Case, oracle: Gradients, zs: list[Any], acts: list[Any], layer: int) -> list[tuple[Slip, np.ndarray]]:
    """What δ^l would be under each known slip of BP1 (l = L) or BP2, built from the oracles'
    δ^{l+1} and the counterparts' σ: (the slip, that δ^l)."""
    if layer == case.network.L:
        return _output_delta_candidates(case, oracle, zs, acts)
    return _hidden_delta_candidates(case, oracle, zs, acts, layer)


def _output_delta_candidates(case: Case, oracle: Gradients, zs: list[Any], acts: list[Any]) -> list[tuple[Slip, np.ndarray]]:
    """δ^L under each known slip of BP1 (and of ∇_a C where it shows in BP1)."""
    output = case.names[1]
    g = _loss_gradient(case, acts[-1])
    a = acts[-1]
    if not counterparts.activation(output).elementwise:
        return [
            (
                Slip(
                    "softmax_elementwise",
                    f"{output} treated as element-wise: its Jacobian J = diag(a) − a aᵀ belongs in BP1, δ^L = Jᵀ ∇_a C",
                ),
                g * a * (1 - a),
            ),
            *_kept(case, oracle, zs),
        ]
    found = [
        (Slip("bp1_without_sigma_prime", "BP1 without σ'(z^L): δ^L = ∇_a C ⊙ σ'(z^L), and the σ' factor is missing"), g),
        (Slip("sigma_prime_of_a", "σ' taken at a^L where z^L belongs: σ'(z^L), not σ'(a^L)"), g * _slope(output, a)),
    ]
    if case.names[2] == "quadratic":
        found.append(
            (
                Slip(
                    "lost_accumulation",
                    "∇_a C half the quadratic cost's: (a − y)·(a − y) has two paths back to a and one was lost, a "
                    "gradient overwritten (=) where it must be accumulated (+=); or the ½ applied twice",
                ),
                g / 2 * _slope(output, zs[-1]),
            )
        )
    return found + _kept(case, oracle, zs)


def _hidden_delta_candidates(
    case: Case, oracle: Gradients, zs: list[Any], acts: list[Any], layer: int
) -> list[tuple[Slip, np.ndarray]]:
    """δ^l (l < L) under each known slip of BP2, from the oracles' δ^{l+1}; the slips that need square layers or
    matching shapes only where the shapes allow them."""
    hidden, output, _ = case.names
    L = case.network.L
    W_next = case.network.weights[layer - 1].astype(np.float64)
    delta_next = _get(oracle, "deltas", layer + 1)
    carried = W_next.T @ delta_next
    slope = _slope(hidden, zs[layer - 2])
    found = [
        (Slip("bp2_without_sigma_prime", "BP2 without ⊙σ'(z^l): δ^l = (W^{l+1})ᵀ δ^{l+1} with the σ' factor missing"), carried),
        (
            Slip("sigma_prime_of_a", "σ' taken at a^l where z^l belongs: σ'(z^l), not σ'(a^l)"),
            carried * _slope(hidden, acts[layer - 1]),
        ),
        (
            Slip("literal_recursion", "the source text's literal recursion δ^l = ∂z^{l+1}/∂z^l: δ^{l+1} dropped from BP2"),
            (W_next.T @ np.ones_like(delta_next)) * slope,
        ),
    ]
    if W_next.shape[0] == W_next.shape[1]:
        found.append(
            (Slip("weights_not_transposed", "W^{l+1} where its transpose belongs in BP2"), (W_next @ delta_next) * slope)
        )
        found.append(
            (
                Slip("sigma_prime_one_layer_up", "σ'(z^{l+1}) in BP2 where σ'(z^l) belongs"),
                carried * _slope(hidden if layer + 1 < L else output, zs[layer - 1]),
            )
        )
    found.append(
        (
            Slip(
                "transpose_on_delta", "the transpose on δ in BP2: (δ^{l+1})ᵀ W^{l+1} reshaped, where (W^{l+1})ᵀ δ^{l+1} belongs"
            ),
            (delta_next.T @ W_next).reshape(carried.shape) * slope,
        )
    )
    W_own = case.network.weights[layer - 2].astype(np.float64)
    if W_own.shape[1] == carried.shape[0] and W_own.shape[0] == delta_next.shape[0]:
        found.append(
            (
                Slip("wrong_layer_weights", f"the wrong layer's weights in BP2: (W^{layer})ᵀ where (W^{layer + 1})ᵀ belongs"),
                (W_own.T @ delta_next) * slope,
            )
        )
    found.append(
        (
            Slip("product_rule_operand", PRODUCT_RULE + f": ∂(W a)/∂a taken as a^{layer} where W^{layer + 1} belongs (BP2)"),
            acts[layer - 1] * delta_next.sum(axis=0, keepdims=True) * slope,
        )
    )
    return found


def _kept(case: Case, oracle: Gradients, zs: list[Any]) -> list[tuple[Slip, np.ndarray]]:
    """δ^L with σ' kept where a cross-entropy cancels it (a sigmoid's or a softmax's δ^L is a − y over N): the
    quadratic cost's δ^L, ∇_a C ⊙ σ'(z^L) with ∇_a C taken as a − y."""
    _, output, loss = case.names
    if loss not in ("cross_entropy", "binary_cross_entropy") or output not in ("sigmoid", "softmax"):
        return []
    a = counterparts.activation(output).numpy(zs[-1])
    return [
        (
            Slip(
                "sigma_prime_kept",
                f"σ' kept in δ^L: with {output} and {loss} the σ'(z^L) of BP1 cancels (δ^L = (a − y)/N), and your δ^L "
                "still carries a factor a(1 − a): the quadratic cost's δ^L",
            ),
            _get(oracle, "deltas", case.network.L) * a * (1 - a),
        )
    ]


def _delta_slips(
    case: Case, u: np.ndarray, oracle: Gradients, zs: list[Any], acts: list[Any], layer: int, *, rtol: float, named: bool
) -> list[Slip]:
    """The signatures of δ^l's slips; the σ' that δ^l implies only when nothing else is `named`."""
    hidden, output, _ = case.names
    found = [slip for slip, candidate in _delta_candidates(case, oracle, zs, acts, layer) if _close(u, candidate, rtol)]
    if any(slip.key == "sigma_prime_kept" for slip in found):
        found.append(
            Slip(
                "wrong_loss_gradient",
                f"the same numbers: ∇_a C of {case.names[2]!r} taken as (a − y)/N, the quadratic cost's, without its "
                "a(1 − a) denominator",
            )
        )
    if not found and not named:
        if layer == case.network.L:
            g = _loss_gradient(case, acts[-1])
            if counterparts.activation(output).elementwise:
                found += _implied_slope(output, u, g, zs[-1], "δ^L")
                found += _implied_loss_gradient(case.names[2], u, g, _slope(output, zs[-1]))
            else:
                found.append(
                    Slip(
                        "wrong_loss_gradient",
                        f"∇_a C of {case.names[2]!r} computed wrongly, or {output}'s Jacobian (δ^L = Jᵀ ∇_a C with "
                        "J = diag(a) − a aᵀ): δ^L alone cannot tell which",
                    )
                )
        else:
            carried = case.network.weights[layer - 1].astype(np.float64).T @ _get(oracle, "deltas", layer + 1)
            found += _implied_slope(hidden, u, carried, zs[layer - 2], "δ^l")
    return found


def _gradient_slips(
    case: Case, u: np.ndarray, oracle: Gradients, zs: list[Any], acts: list[Any], *, quantity: str, layer: int, rtol: float
) -> list[Slip]:
    """Without δ: ∂C/∂b^l or ∂C/∂W^l as BP3 or BP4 would make them from δ^l under each slip."""
    found = []
    for slip, delta in _delta_candidates(case, oracle, zs, acts, layer):
        made = delta.sum(axis=1, keepdims=True) if quantity == "biases" else delta @ acts[layer - 2].T
        if _close(u, made, rtol):
            found.append(Slip(slip.key, f"{slip.text} (seen through {symbol(quantity, layer)}, made from that δ^{layer})"))
    return found


def _implied_loss_gradient(loss: str, u: np.ndarray, g: np.ndarray, slope: np.ndarray) -> list[Slip]:
    """Where δ^L = ∇_a C ⊙ σ'(z^L): the ∇_a C that δ^L implies, against the loss's own gradient."""
    usable = np.abs(slope) > 1e-6 * max(float(np.max(np.abs(slope), initial=0.0)), 1e-300)
    if not usable.any():
        return []
    implied, k = _implied(u, slope, usable, g)
    if k is None:
        return []
    return [
        Slip(
            "wrong_loss_gradient",
            f"∇_a C of {loss!r} computed wrongly: the δ^L you give implies ∇_a C = {implied.flat[k]:.6g} where the "
            f"loss's gradient is {g.flat[k]:.6g} (or σ' of the output layer is off: δ^L alone cannot tell which)",
        )
    ]


def _implied(u: np.ndarray, factor: np.ndarray, usable: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, int | None]:
    """u / factor where `usable` (and finite), and the flat index where it departs most from
    `expected`; None when it matches everywhere usable (or nothing is)."""
    with np.errstate(all="ignore"):
        implied = np.where(usable, u / np.where(usable, factor, 1.0), np.nan)
    usable = usable & np.isfinite(implied)
    if not usable.any() or np.allclose(implied[usable], expected[usable], rtol=1e-3, atol=1e-12):
        return implied, None
    return implied, int(np.argmax(np.where(usable, np.abs(implied - expected), -1.0)))


def _implied_slope(name: str, u: np.ndarray, factor: np.ndarray, z: np.ndarray, what: str) -> list[Slip]:
    """Where u = factor ⊙ σ'(z) should hold: the σ' that u implies, against σ's own slope."""
    if not np.any(factor != 0):
        return []
    slope = _slope(name, z)
    usable = np.abs(factor) > 1e-6 * np.max(np.abs(factor))
    implied, k = _implied(u, factor, usable, slope)
    if k is None:
        return []
    said = (
        f"σ' of {name!r} computed wrongly: the {what} you give implies σ'({z.flat[k]:.4g}) = {implied.flat[k]:.6g}, "
        f"where {name}'s slope there is {slope.flat[k]:.6g}"
    )
    with np.errstate(all="ignore"):
        itself = counterparts.activation(name).numpy(z.astype(np.float64))
    kept = usable & np.isfinite(implied)
    if np.allclose(implied[kept], itself[kept], rtol=1e-3, atol=1e-12):  # the value where its slope belongs
        said += f", and {implied.flat[k]:.6g} is {name}({z.flat[k]:.4g}) itself: σ used where σ' belongs"
    return [Slip("wrong_sigma_prime", said)]


def diagnose_step(case: Case, tested: Any, learning_rate: float, gradients: Gradients, weight_decay: float = 0.0) -> Diagnosis:
    """The diagnosis of a failing update, when the gradients themselves agree (your own
    gradients, `weight_decay` the one your convention declares)."""
    slips = []
    net = case.network
    ascent = ([W + learning_rate * g for W, g in zip(net.weights, gradients.weights)], None)
    rtol = MATCH[np.dtype(net.dtype)]
    moved = [not np.array_equal(t, W) for t, W in zip(tested[0], net.weights)]  # a layer with W = 0 and ∂C/∂W = 0 says nothing
    if any(moved) and all(np.array_equal(t, a) or _close(t, a, rtol) for t, a in zip(tested[0], ascent[0])):
        slips.append(Slip("ascent", "an update that adds the gradient (W + η ∂C/∂W): gradient ascent"))
    Ws = [W.astype(np.float64) for W in net.weights]
    expected = [W - learning_rate * (g + weight_decay * W) for W, g in zip(Ws, gradients.weights)]
    offs = [np.asarray(t, dtype=np.float64) - e for t, e in zip(tested[0], expected)]
    W_all, d_all = np.concatenate([W.ravel() for W in Ws]), np.concatenate([d.ravel() for d in offs])
    if not slips and np.any(W_all != 0) and np.any(d_all != 0) and np.all(np.isfinite(d_all)):
        k = float(np.sum(d_all * W_all) / np.sum(W_all * W_all))
        if _close(d_all, k * W_all, rtol):
            yours = weight_decay - k / learning_rate
            slips.append(
                Slip(
                    "weight_decay",
                    f"a weight decay of {yours:.4g} in your update where the convention declares {weight_decay:g} "
                    f"(W ← W − η(∂C/∂W + wd·W), torch.optim.SGD's; Nielsen's (1 − ηλ/n)W is wd = λ/n): "
                    + advice("declare weight_decay= or ")
                    + "fix the factor",
                )
            )
    return Diagnosis(None, None, "update", tuple(slips))
