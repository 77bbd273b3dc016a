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

from dataclasses import dataclass
from typing import Any

import numpy as np

from crosscheck import counterparts
from crosscheck.case import Case
from crosscheck.judge import TensorCheck, symbol
from reference import Gradients

EQUATIONS = {
    "loss": "the cost C (the forward pass or the loss)",
    "BP1": "BP1, δ^L = ∇_a C ⊙ σ'(z^L)",
    "BP2": "BP2, δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)",
    "BP3": "BP3, ∂C/∂b^l = Σ_x δ^l",
    "BP4": "BP4, ∂C/∂W^l = δ^l (a^{l−1})ᵀ",
    "update": "the update W ← W − η ∂C/∂W, b ← b − η ∂C/∂b",
}
MATCH = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 2e-3}
"""Relative tolerance of a signature match, by dtype (loose: the judge found the slip)."""
H = 1e-5


@dataclass(frozen=True)
class Diagnosis:
    """The first departure, walking back from the output, and what it looks like."""

    quantity: str | None
    layer: int | None
    equation: str
    """A key of EQUATIONS, or "" when none can be named (a structural problem)."""
    slips: tuple[str, ...] = ()
    """Named slips whose signature the departing tensor matches (hypotheses)."""
    note: str = ""

    def text(self, who: str = "your implementation") -> str:
        where = ""
        if self.quantity:
            first = symbol(self.quantity, self.layer)
            where = f"{first} is the first quantity, walking back from the output, where {who} departs from the oracles"
        lines = []
        if self.equation:
            lines.append(
                f"Diagnosis: {where}: look at {EQUATIONS[self.equation]}" + (f" (layer {self.layer})" if self.layer else "") + "."
            )
        if self.note:
            lines.append(self.note)
        for slip in self.slips:
            lines.append(f"It looks like {slip}.")
        return "\n".join(lines)


def _close(u: np.ndarray, v: np.ndarray, rtol: float) -> bool:
    """u ≈ v everywhere, relative to the larger tensor's scale (and not both zero)."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if u.shape != v.shape or not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        return False
    scale = max(float(np.max(np.abs(u), initial=0.0)), float(np.max(np.abs(v), initial=0.0)))
    return scale > 0 and float(np.max(np.abs(u - v), initial=0.0)) <= rtol * scale


def _forward(case: Case) -> tuple[list[np.ndarray], list[np.ndarray]]:
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


def _kink_samples(case: Case, zs: list[np.ndarray]) -> np.ndarray:
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


def diagnose(case: Case, tested: Gradients, tensors: tuple[TensorCheck, ...], oracle: Gradients | None) -> Diagnosis:
    """The diagnosis of one failing comparison: `tensors` judged `tested` against `oracle`."""
    problems = [t for t in tensors if t.problem]
    if problems:
        return Diagnosis(None, None, "", _structural_slips(problems[0].problem), problems[0].problem)
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
    else:
        # No δ to separate them: the gradients of layer l depart first. ∂C/∂b^l = Σ δ^l, so a
        # departing ∂C/∂b^l puts δ^l itself (BP1 at L, BP2 below) or BP3 in question.
        equation = ("BP1" if layer == L else "BP2") if quantity == "biases" else "BP4"
    note = ""
    if "deltas" not in given and quantity in ("biases", "weights"):
        name = EQUATIONS[equation].split(",")[0]
        note = f"(Your implementation gives no δ: return 'deltas' too, to tell {name} from its neighbours.)"
    slips = () if oracle is None else _slips(case, tested, oracle, quantity, layer)
    return Diagnosis(quantity, layer, equation, slips, note)


def _structural_slips(problem: str) -> tuple[str, ...]:
    if "accumulate" in problem:
        return ("gradients accumulating across calls (not zeroed between calls)",)
    if "stops one layer early" in problem:
        return ("a loop that stops one layer early",)
    return ()


def _get(g: Gradients, quantity: str, layer: int | None) -> np.ndarray:
    return np.asarray(g.loss if layer is None else getattr(g, quantity)[layer - 2], dtype=np.float64)


def _slips(case: Case, tested: Gradients, oracle: Gradients, quantity: str, layer: int | None) -> tuple[str, ...]:
    rtol = MATCH[np.dtype(case.network.dtype)]
    u, o = _get(tested, quantity, layer), _get(oracle, quantity, layer)
    N = case.x.shape[1]
    found: list[str] = []
    if N > 1 and _close(u, N * o, rtol):
        found.append(
            f"every element N = {N} times the oracles': the cost summed over the batch where the derivation takes the "
            "mean (if that is your cost, declare the convention cost='sum'), or the mean's 1/N left out"
        )
    if N > 1 and _close(u, o / N, rtol):
        found.append(
            f"every element 1/N = 1/{N} of the oracles': the 1/N of the mean cost applied twice, or a mean where BP3/BP4 sum"
        )
    if _close(u, -o, rtol):
        found.append("the sign flipped: the error written y − a where the derivation has a − y")
    if u.ndim == 2 and u.shape[0] == u.shape[1] and u.shape[0] > 1 and _close(u, o.T, rtol) and not _close(o, o.T, rtol):
        found.append(f"{symbol(quantity, layer)} transposed: it equals the oracles' transpose")
    if np.all(u == 0) and np.any(o != 0):
        found.append("all zeros: a layer skipped, or a loop that stops one layer early")
    zs, acts = _forward(case)
    hidden, output, _ = case.names
    if quantity == "loss" and "sigmoid" in (hidden, output):
        flipped = _flipped_sigmoid_cost(case)
        if _close(u, flipped, rtol):
            found.append("the source text's printed sigmoid 1/(1 + exp(z)): the exponent's sign lost (σ(z) = 1/(1 + e^{−z}))")
    if quantity == "deltas" and layer is not None:
        found += _delta_slips(case, u, oracle, zs, acts, layer, rtol, named=bool(found))
    if quantity == "biases" and layer is not None:
        delta = _get(oracle, "deltas", layer) if oracle.deltas else None
        if delta is not None and N > 1 and _close(u, delta[:, :1], rtol):
            found.append("∂C/∂b^l from the first sample only: BP3 sums δ^l over every sample (column)")
    if quantity == "weights" and layer is not None and oracle.deltas:
        delta, a = _get(oracle, "deltas", layer), acts[layer - 1]
        if a.shape[0] == acts[layer - 2].shape[0] and _close(u, delta @ a.T, rtol):
            found.append("BP4 with a^l where a^{l−1} belongs: ∂C/∂W^l = δ^l (a^{l−1})ᵀ")
    sigma = counterparts.activation(output if layer == case.network.L else hidden)
    kinks = _kink_samples(case, zs)
    if sigma.kinks or counterparts.activation(hidden).kinks:
        bad = _off_samples(u, o, quantity, rtol)
        if kinks.any() and bad is not None and bad.any() and not (bad & ~kinks).any():
            found.append(
                "a kink convention: the differences sit only in samples where some z is exactly on a kink "
                "(relu and leaky_relu at 0), where the reference and the frameworks take the left slope; if your σ' takes "
                "another value there on purpose, declare the convention kink='right' (or 'either')"
            )
    return tuple(found)


def _off_samples(u: np.ndarray, o: np.ndarray, quantity: str, rtol: float) -> np.ndarray | None:
    """Per sample, whether δ differs there (only δ has a sample axis)."""
    if quantity != "deltas" or u.shape != o.shape:
        return None
    scale = max(float(np.max(np.abs(o), initial=0.0)), 1e-300)
    return np.any(np.abs(u - o) > rtol * scale, axis=0)


def _delta_slips(
    case: Case, u: np.ndarray, oracle: Gradients, zs: list[Any], acts: list[Any], layer: int, rtol: float, named: bool
) -> list[str]:
    """The signatures of δ^l's slips; the σ' that δ^l implies only when nothing else is `named`."""
    hidden, output, _ = case.names
    L = case.network.L
    found: list[str] = []
    if layer == L:
        g = _loss_gradient(case, acts[-1])
        a = acts[-1]
        if not counterparts.activation(output).elementwise:
            if _close(u, g * a * (1 - a), rtol):
                found.append(f"{output} treated as element-wise: its Jacobian J = diag(a) − a aᵀ belongs in BP1, δ^L = Jᵀ ∇_a C")
            return found
        if _close(u, g, rtol):
            found.append("BP1 without σ'(z^L): δ^L = ∇_a C ⊙ σ'(z^L), and the σ' factor is missing")
        if _close(u, g * _slope(output, acts[-1]), rtol):
            found.append("σ' taken at a^L where z^L belongs: σ'(z^L), not σ'(a^L)")
        if not found and not named:
            found += _implied_slope(output, u, g, zs[-1], "δ^L")
        return found
    W_next = case.network.weights[layer - 1].astype(np.float64)
    delta_next = _get(oracle, "deltas", layer + 1)
    carried = W_next.T @ delta_next
    slope = _slope(hidden, zs[layer - 2])
    if _close(u, carried, rtol):
        found.append("BP2 without ⊙σ'(z^l): δ^l = (W^{l+1})ᵀ δ^{l+1} with the σ' factor missing")
    if _close(u, carried * _slope(hidden, acts[layer - 1]), rtol):
        found.append("σ' taken at a^l where z^l belongs: σ'(z^l), not σ'(a^l)")
    if _close(u, (W_next.T @ np.ones_like(delta_next)) * slope, rtol):
        found.append("the source text's literal recursion δ^l = ∂z^{l+1}/∂z^l: δ^{l+1} dropped from BP2")
    if W_next.shape[0] == W_next.shape[1] and _close(u, (W_next @ delta_next) * slope, rtol):
        found.append("W^{l+1} where its transpose belongs in BP2")
    if _close(u, (delta_next.T @ W_next).reshape(u.shape) * slope, rtol):
        found.append("the transpose on δ in BP2: (δ^{l+1})ᵀ W^{l+1} reshaped, where (W^{l+1})ᵀ δ^{l+1} belongs")
    if zs[layer - 1].shape == u.shape and _close(u, carried * _slope(hidden if layer + 1 < L else output, zs[layer - 1]), rtol):
        found.append("σ'(z^{l+1}) in BP2 where σ'(z^l) belongs")
    if not found and not named:
        found += _implied_slope(hidden, u, carried, zs[layer - 2], "δ^l")
    return found


def _implied_slope(name: str, u: np.ndarray, factor: np.ndarray, z: np.ndarray, what: str) -> list[str]:
    """Where u = factor ⊙ σ'(z) should hold: the σ' that u implies, against σ's own slope."""
    if not np.any(factor != 0):
        return []
    slope = _slope(name, z)
    with np.errstate(all="ignore"):
        implied = np.where(factor != 0, u / np.where(factor != 0, factor, 1.0), np.nan)
    usable = np.isfinite(implied) & (np.abs(factor) > 1e-6 * np.max(np.abs(factor)))
    if not usable.any() or np.allclose(implied[usable], slope[usable], rtol=1e-3, atol=1e-12):
        return []
    k = int(np.argmax(np.where(usable, np.abs(implied - slope), -1.0)))
    return [
        f"σ' of {name!r} computed wrongly: the {what} you give implies σ'({z.flat[k]:.4g}) = {implied.flat[k]:.6g}, "
        f"where {name}'s slope there is {slope.flat[k]:.6g}"
    ]


def diagnose_step(case: Case, tested: Any, learning_rate: float, gradients: Gradients) -> Diagnosis:
    """The diagnosis of a failing update, when the gradients themselves agree."""
    slips = []
    net = case.network
    ascent = ([W + learning_rate * g for W, g in zip(net.weights, gradients.weights)], None)
    rtol = MATCH[np.dtype(net.dtype)]
    if all(_close(t, a, rtol) for t, a in zip(tested[0], ascent[0])):
        slips.append("an update that adds the gradient (W + η ∂C/∂W): gradient ascent")
    return Diagnosis(None, None, "update", tuple(slips))
