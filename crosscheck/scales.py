"""The scale each gradient element is compared at (see `crosscheck.tolerances`).

Every quantity of BP1-BP4 is a sum of products. A correct implementation, in any
order of summation, makes at each operation a rounding error of a few ε times the
magnitudes of its operands, and those errors travel on through the later operations.
This module estimates the result, S (error ≈ ε·S), in float64, from the counterparts'
NumPy formulas of σ and C (never the reference's code).

Two rules keep S close to the errors that really occur (the sensitivity of the check
depends on it) without ever losing one:

* **Each operation's own rounding is bounded by the magnitudes of its operands**:
  ε·Σ|terms| for a sum Σ W_jk δ_k, where |δ_k| is the magnitude of δ itself, not a
  bound that ignores its cancellations.
* **Errors made in different places add in quadrature** as they travel on: an error
  born at unit j of layer l' reaches δ^l_i multiplied by P_ij, P = D^l W^{l+1}ᵀ ...
  D^{l'-1} W^{l'}ᵀ (D = diag σ'), so the carried part of S is √(Σ P_ij² e_j²), with P's
  own signs and cancellations, not |W|ᵀ|D|...|W|ᵀ e. Rounding errors of different
  operations behave as independent (the probabilistic model of rounding error analysis,
  Higham and Mary 2019). This makes S an estimate rather than a strict bound: if all m
  errors carried into one element lined up, Cauchy-Schwarz bounds their sum by √m times
  the quadrature (m ≤ 40 for δ in the default ranges, 2N ≤ 16 for a batch sum). The
  autograd rtol (17 ε in float32, 450 ε in float64) is the margin; the errors seen in
  the property tests stay near one ε·S (docs/TOLERANCES.md). The batch sums of BP3
  and BP4 combine their samples the same way.

With A = |a|, σ'_loc and σ''_loc the local slope and curvature of σ at z (differenced
from the counterpart's σ), d(z) and f(z) the counterpart's bounds on the rounding of σ'
and σ, ⊕ addition in quadrature over the summed index; each group of rows is one
function of this module (`forward_errors`, `output_delta`, `carried_deltas`,
`batch_sums`, `cost_scale`), and `stacked_magnitudes` calls them in that order:

    forward_errors
    Z^l      = |W^l| A^{l-1} + (W^l ⊕ E(a^{l-1})) + |b^l|   magnitude of z^l and its error
    E(a^l)   = σ'_loc Z^l + f(z) + (1 + |z|) tiny/ε   forward errors; tiny: a factor
                                        like σ(z) in silu's z σ(z) underflowing or
                                        flushed to zero
    k(z)     = σ'_loc + d(z) + σ''_loc Z + J(z)   this layer's rounding, σ' evaluated
                                                with its own error, at a z that
                                                carries one; J = jump/ε where z is
                                                closer to a kink than ε Z (either
                                                slope may be taken)
    output_delta
    g        = bound(∇_a C),  g_E = the same counting E(a^L)
    M(δ^L)   = g σ'_loc,       S(δ^L) = g_E σ'_loc + g k(z^L)
    carried_deltas
    M(δ^l)   = |P_{l←L}| M(δ^L) + ε S(δ^l)     the magnitude of δ^l
    local^l  = |W^{l+1}|ᵀ M(δ^{l+1}) k(z^l) + ε |W^{l+1}|ᵀ S(δ^{l+1}) k(z^l)
    S(δ^l)   = local^l + ⊕ over l' > l of P_{l←l'} local^{l'}   (local^L = S(δ^L))
    batch_sums
    S(∂C/∂W^l) = (S(δ^l) ⊕ (A^{l-1})ᵀ) ⊕ (M(δ^l) ⊕ E(a^{l-1})ᵀ)   over the batch
    S(∂C/∂b^l) = ⊕_x S(δ^l)
    cost_scale
    S(C)       = |C| + Σ g ⊙ E(a^L)

So a unit saturated where σ' is computed from a ≈ 1 (σ'(z) = a(1 − a)), whose δ no
implementation knows to better than ε relative to the signal that reaches it, is
compared at the size of that signal and is no false alarm; a unit saturated where σ'
keeps its relative accuracy keeps a tight scale; and a wrong formula changes the value
by a fraction of S and is caught.

Forward mode carries a tangent from each input to C; a tangent flushed to zero on the
way (an absolute error below `tiny`) reaches the result multiplied by up to |∂C/∂a^L|,
which a log loss makes huge where an output is tiny (cross-entropy's y/a). Every
element's S therefore also holds tiny/ε · Σ_j g_j of its sample (summed over the batch
for ∂C/∂W and ∂C/∂b): negligible unless an output is within a few orders of `tiny`'s
reach, as a float32 softmax output of 1e-12 is.

Plus, at every step, U = tiny/ε² of the case's dtype (tiny: the smallest normal
number). Frameworks may flush subnormal numbers to zero (XLA on CPU does), an absolute
error below `tiny` that later layers amplify by up to 1/ε before it reaches a value
that matters; with U in S, rtol·S (rtol ≥ ε) covers it. U is 5e-277 in float64 and
8e-25 in float32: elements below about 1e-290 (float64) and 1e-30 (float32) are
compared only against that floor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from crosscheck import counterparts
from crosscheck.case import Case, Stack
from reference import Gradients
from reference._types import Array

LOCAL_STEP = 1e-4
"""h for the local slope and curvature of σ: small enough to be local, large enough
that σ(z ± h) differ well above rounding."""
_EPS = float(np.finfo(np.float64).eps)


def local_derivatives(
    sigma: Callable[[np.ndarray], np.ndarray], z: np.ndarray, at: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper estimates of |σ'(z)| and |σ''(z)| by differencing σ, with a rounding
    allowance, and the first with the sign of the difference (σ' with its sign, never
    smaller than the true slope: where σ' is below the rounding of σ, as in a saturated
    tanh, the difference itself can be 0); `at` is σ(z) when already known."""
    h = LOCAL_STEP
    up, mid, down = sigma(z + h), sigma(z) if at is None else at, sigma(z - h)
    noise = 4 * _EPS * (np.abs(up) + 2 * np.abs(mid) + np.abs(down))
    rise = up - down
    slope = (np.abs(rise) + noise) / (2 * h)
    curvature = (np.abs(up - 2 * mid + down) + noise) / h**2
    return slope, curvature, np.copysign(slope, rise)


def _kink_flips(sigma: counterparts.ActivationCounterpart, z: np.ndarray, Z: np.ndarray, eps: float) -> np.ndarray:
    """Where z lies closer to a kink than its own rounding error ε·Z, an implementation may
    land on either side, and σ' may take either slope: an error of the jump, in units of ε.
    (z exactly on a kink with Z = 0, e.g. W = 0 and b = 0, is exact and not flagged.)"""
    flips = np.zeros_like(z)
    h = LOCAL_STEP
    for kink in sigma.kinks:
        point = np.array([kink - 2 * h, kink - h, kink + h, kink + 2 * h])
        f = sigma.numpy(point)
        jump = abs((f[3] - f[2]) - (f[1] - f[0])) / h
        flips = np.where(np.abs(z - kink) < 4 * eps * Z, flips + jump / eps, flips)
    return flips


FORMULATIONS = ("strict", "any")
"""How σ and σ' may be computed: "strict", keeping their relative accuracy in the tails as the
reference's formulas and the frameworks do (the reference is judged so); "any", any sound
floating-point formulation, absolute rather than relative in the tails (σ through tanh,
σ' as s(1 − s)): an implementation under test is judged so."""


def magnitudes(case: Case, formulation: str = "strict") -> Gradients:
    """S for every element of the case's loss, δ^l, ∂C/∂W^l and ∂C/∂b^l."""
    network = case.network
    S = stacked_magnitudes(network.weights, network.biases, case.x, case.y, case.names, formulation=formulation)
    return Gradients(loss=float(S.loss), deltas=S.deltas, weights=S.weights, biases=S.biases)


def stack_magnitudes(stack: Stack, formulation: str = "strict") -> Gradients:
    """S for every element of every case of a stack (loss: (K,)); padded entries get S too,
    but are never compared."""
    outputs = None if stack.uniform else stack.sizes[:, -1]
    return stacked_magnitudes(
        stack.weights, stack.biases, stack.x, stack.y, stack.names, outputs=outputs, formulation=formulation
    )


def _T(array: np.ndarray) -> np.ndarray:
    return np.swapaxes(array, -1, -2)


def _column(v: np.ndarray) -> np.ndarray:
    """(..., n, N) -> (..., N, n, 1): one column vector per sample."""
    return np.swapaxes(v, -1, -2)[..., None]


def _uncolumn(v: np.ndarray) -> np.ndarray:
    """(..., N, n, 1) -> (..., n, N)."""
    return np.swapaxes(v[..., 0], -1, -2)


def _quadrature(P: np.ndarray, e: np.ndarray) -> Array:
    """√(P² @ e²): each row of P against each column of e, terms added in quadrature.

    Cauchy-Schwarz puts it between |P| @ |e| / √m and |P| @ |e| (m terms); where the
    squares under- or overflow (magnitudes beyond 1e±154) the nearer of those bounds
    stands in, so a tiny or huge scale is never lost."""
    linear = np.abs(P) @ np.abs(e)
    quadrature = np.sqrt(np.square(P) @ np.square(e))  # (under- and overflow: see stacked_magnitudes)
    # fmin drops the NaN an overflow can leave (inf · 0) and caps an infinite result.
    return np.fmin(np.maximum(quadrature, linear * (1 / np.sqrt(max(P.shape[-1], 1)))), linear)


@dataclass(frozen=True)
class Forward:
    """The forward pass's magnitudes and errors, in float64 (the first lines of the table)."""

    a: np.ndarray
    """a^L itself (signed)."""
    A: list[np.ndarray]
    """|a^l|, l = 1..L (A[0] = |x|)."""
    E: list[np.ndarray]
    """E(a^l), l = 1..L: the forward errors, in units of ε (E[0] = 0)."""
    slopes: list[np.ndarray]
    """σ'_loc of each element-wise layer, l = 2..L."""
    signed: list[np.ndarray]
    """σ'_loc with the sign of the slope."""
    ks: list[np.ndarray]
    """k(z^l): this layer's rounding of σ', per element-wise layer."""


@dataclass(frozen=True)
class Precision:
    """The case dtype's constants: ε, tiny, and U = tiny/ε² (the floor of every scale)."""

    eps: float
    tiny: float
    U: float
    flush: float
    """An absolute error of `tiny`, in units of ε."""

    @classmethod
    def of(cls, dtype: np.dtype) -> Precision:
        info = np.finfo(dtype)
        return cls(float(info.eps), float(info.tiny), float(info.tiny / info.eps**2), float(info.tiny / info.eps))


@dataclass(frozen=True)
class OutputDelta:
    """M(δ^L) and S(δ^L), the loss's gradient bound g, and the flushed-tangent term."""

    M: np.ndarray
    S: np.ndarray
    g: np.ndarray
    tangent_flush: np.ndarray


def forward_errors(
    Ws: list[np.ndarray],
    bs: list[np.ndarray],
    x: np.ndarray,
    hidden_name: str,
    output_name: str,
    p: Precision,
    *,
    formulation: str = "strict",
) -> Forward:
    """Z^l = |W^l| A^{l-1} + (W^l ⊕ E(a^{l-1})) + |b^l|, E(a^l) = σ'_loc Z^l + f(z) + (1 + |z|) tiny/ε,
    and k(z^l) = σ'_loc + d(z) + σ''_loc Z + J(z), layer by layer (softmax: Δa_j = a_j (Δz_j − Σ_k a_k Δz_k))."""
    hidden, output = counterparts.activation(hidden_name), counterparts.activation(output_name)
    a = x.astype(np.float64)
    A, E, slopes, signed, ks = [np.abs(a)], [np.zeros_like(a)], [], [], []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        sigma = output if i == len(Ws) - 1 else hidden
        z = W @ a + b
        a = sigma.numpy(z)
        Z = np.abs(W) @ A[-1] + _quadrature(W, E[-1]) + np.abs(b)
        A.append(np.abs(a))
        if sigma.elementwise:
            slope, curvature, signed_slope = local_derivatives(sigma.numpy, z, a)
            E.append(slope * Z + sigma.function_bound(formulation)(z, a) + p.flush * (1 + np.abs(z)))
            slopes.append(slope)
            signed.append(signed_slope)
            ks.append(slope + sigma.derivative_bound(formulation)(z, a) + curvature * Z + _kink_flips(sigma, z, Z, p.eps))
        else:  # softmax: Δa_j = a_j (Δz_j − Σ_k a_k Δz_k)
            E.append(A[-1] * (Z + np.sum(A[-1] * Z, axis=-2, keepdims=True)) + A[-1])
    return Forward(a, A, E, slopes, signed, ks)


def output_delta(
    f: Forward, y: np.ndarray, loss_name: str, output_name: str, outputs: np.ndarray | None, p: Precision
) -> OutputDelta:
    """BP1's row: g = bound(∇_a C), g_E the same counting E(a^L); M(δ^L) = g σ'_loc and
    S(δ^L) = g_E σ'_loc + g k(z^L) (softmax: through its Jacobian), plus the flushed-tangent term."""
    loss = counterparts.loss(loss_name)
    a = f.a
    g = loss.gradient_scale(a, y, np.zeros_like(a))
    g_E = loss.gradient_scale(a, y, f.E[-1]) + loss.gradient_error(a, y)
    if outputs is not None:
        real = np.arange(a.shape[-2])[:, None] < np.asarray(outputs)[:, None, None]
        g, g_E = np.where(real, g, 0.0), np.where(real, g_E, 0.0)
    if counterparts.activation(output_name).elementwise:
        M = g * f.slopes[-1] + p.U
        S = g_E * f.slopes[-1] + g * f.ks[-1] + p.U
    else:  # δ_k = a_k (g_k − Σ_j a_j g_j), with errors in g and in a
        a_L, E_L = f.A[-1], f.E[-1]
        M = a_L * (g + np.sum(a_L * g, axis=-2, keepdims=True)) + p.U
        S = (
            a_L * (g_E + np.sum(a_L * g_E, axis=-2, keepdims=True))
            + E_L * (g + np.sum(a_L * g, axis=-2, keepdims=True))
            + a_L * np.sum(E_L * g, axis=-2, keepdims=True)
            + M
        )
    # Forward mode carries each tangent to C; one flushed to zero on the way (an
    # absolute error below `tiny`) reaches C multiplied by up to |∂C/∂a^L|, which the
    # log losses make huge where an output is tiny: tiny · Σ_j g_j per sample, for
    # every gradient element (in units of ε, as S is).
    tangent_flush = p.flush * np.sum(g, axis=-2, keepdims=True)
    return OutputDelta(M, S + tangent_flush, g, tangent_flush)


def carried_deltas(Ws: list[np.ndarray], f: Forward, top: OutputDelta, p: Precision) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """BP2's rows, from l = L − 1 down: local^l = |W^{l+1}|ᵀ M(δ^{l+1}) k(z^l) + ε |W^{l+1}|ᵀ S(δ^{l+1}) k(z^l),
    S(δ^l) = local^l + ⊕ over l' > l of P_{l←l'} local^{l'}, M(δ^l) = |P_{l←L}| M(δ^L) + ε S(δ^l).
    (M(δ^l), S(δ^l)) for l = 2..L."""
    M, S, tangent_flush = top.M, top.S, top.tangent_flush
    Ms, Ss = [M], [S]
    # An error made at layer l' reaches δ^l through P = D^l W^{l+1}ᵀ ... D^{l'-1} W^{l'}ᵀ
    # (D = diag σ', per sample). `P` holds those maps side by side for every later
    # layer, (..., N, n_l, n_L + ... + n_{l+1}), and `errors` the errors they carry,
    # one column per sample; the first n_L columns of P are P_{l←L}.
    n_L = S.shape[-2]
    P = np.zeros((*S.shape[:-2], S.shape[-1], n_L, 0))
    errors = np.zeros((*S.shape[:-2], S.shape[-1], 0, 1))
    fresh = _column(S)  # δ^L's own error, not yet carried anywhere
    for l in range(len(Ws) - 2, -1, -1):  # layers L-1 .. 2, code index l
        W_T = _T(Ws[l + 1])
        W_abs_T = np.abs(W_T)
        J = _column(f.signed[l]) * W_T[..., None, :, :]  # ∂δ^l/∂δ^{l+1}, per sample
        P = np.concatenate([J @ P, J], axis=-1)
        errors = np.concatenate([errors, fresh], axis=-2)
        carried = _uncolumn(_quadrature(P, errors))
        # This layer's own rounding: the sum Wᵀδ (its operands' magnitudes), σ'
        # evaluated with its error at a z that carries one, and the upstream error
        # meeting σ''s error (ε·k), which matters where σ' vanishes but its error not.
        up_M = W_abs_T @ M
        local = up_M * f.ks[l] + (W_abs_T @ S) * (p.eps * f.ks[l]) + p.U
        S = local + carried + tangent_flush
        # |δ^l| as the next layer's operand: |P_{l←L}| M(δ^L) keeps the cancellation
        # inside P; plus δ^l's own error.
        M = _uncolumn(np.abs(P[..., :n_L]) @ _column(Ms[-1])) + p.eps * S + p.U
        fresh = _column(local)
        Ms.insert(0, M)
        Ss.insert(0, S)
    return Ms, Ss


def batch_sums(
    Ms: list[np.ndarray], Ss: list[np.ndarray], f: Forward, tangent_flush: np.ndarray, p: Precision
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """BP3's and BP4's rows: S(∂C/∂W^l) = (S(δ^l) ⊕ (A^{l-1})ᵀ) ⊕ (M(δ^l) ⊕ E(a^{l-1})ᵀ) over the batch,
    S(∂C/∂b^l) = ⊕_x S(δ^l), the samples' errors in quadrature. (S(∂C/∂W^l), S(∂C/∂b^l)) for l = 2..L."""
    # (∂C/∂b^l is the same sum with a^{l-1} replaced by 1: one more column, with no error.)
    grads_W, grads_b = [], []
    batch_flush = tangent_flush.sum(axis=-1, keepdims=True)
    for S, M, A_, E_ in zip(Ss, Ms, f.A, f.E):
        ones = np.ones((*A_.shape[:-2], 1, A_.shape[-1]))
        inputs = np.concatenate([A_ + p.tiny, ones], axis=-2)
        errors = np.concatenate([E_, np.zeros_like(ones)], axis=-2)
        both = _quadrature(np.concatenate([S, M], axis=-1), _T(np.concatenate([inputs, errors], axis=-1)))
        grads_W.append(both[..., :-1] + p.U + batch_flush)
        grads_b.append(both[..., -1:] + p.U + batch_flush)
    return grads_W, grads_b


def cost_scale(f: Forward, y: np.ndarray, loss_name: str, g: np.ndarray, outputs: np.ndarray | None, p: Precision) -> np.ndarray:
    """The cost's row: S(C) = |C| + Σ g ⊙ E(a^L) (plus each term's own rounding, and U)."""
    loss = counterparts.loss(loss_name)
    a = f.a
    if outputs is None:
        per_sample = loss.numpy_per_sample(a, y).sum(axis=-1)
    else:  # the cases of one output width at once, each on its real rows
        outputs = np.asarray(outputs)
        per_sample = np.zeros(len(outputs))
        for n in np.unique(outputs).tolist():
            k = np.flatnonzero(outputs == n)
            per_sample[k] = loss.numpy_per_sample(a[k, :n], y[k, :n]).sum(axis=-1)
    own = loss.function_error(a, y)
    if outputs is not None:
        own = np.where(np.arange(a.shape[-2])[:, None] < np.asarray(outputs)[:, None, None], own, 0.0)
    return np.abs(per_sample) + np.sum(g * f.E[-1] + own, axis=(-2, -1)) + p.U


@np.errstate(under="ignore", over="ignore", invalid="ignore")  # squares in `_quadrature` at extreme magnitudes
def stacked_magnitudes(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    names: tuple[str, str, str],
    *,
    outputs: np.ndarray | None = None,
    formulation: str = "strict",
) -> Gradients:
    """`magnitudes` for one case or for K cases of one structure stacked on a leading
    axis (W^l: (K, n_l, n_{l-1}), x: (K, n_1, N), ...); `loss` is then an array (K,).
    `names` are (hidden activation, output activation, loss). The steps are the rows of
    the module's table: `forward_errors`, `output_delta`, `carried_deltas`, `batch_sums`,
    `cost_scale`.

    K cases of one depth and batch size but different widths stack too, each padded
    with zeros to the widest (`crosscheck.case.Stack`): `outputs` (K,) then gives each case's
    number of real output neurons. A padded neuron feeds later layers only through
    zero weights, so it adds exact zeros to every real entry; the padded output rows'
    ∂C/∂a is set to 0 and the cost sums each case's real rows only. (The output
    activation must then be element-wise, or every case's output rows real: a softmax
    would mix the padded rows in.) `formulation` ("strict" or "any", `FORMULATIONS`) says
    how σ and σ' may have been computed."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {list(FORMULATIONS)}, got {formulation!r}")
    hidden, output, loss = names
    p = Precision.of(weights[0].dtype)
    Ws = [W.astype(np.float64) for W in weights]
    bs = [b.astype(np.float64) for b in biases]
    y = y.astype(np.float64)
    f = forward_errors(Ws, bs, x, hidden, output, p, formulation=formulation)
    top = output_delta(f, y, loss, output, outputs, p)
    Ms, Ss = carried_deltas(Ws, f, top, p)
    grads_W, grads_b = batch_sums(Ms, Ss, f, top.tangent_flush, p)
    cost = cost_scale(f, y, loss, top.g, outputs, p)
    return Gradients(loss=cost, deltas=Ss, weights=grads_W, biases=grads_b)


def with_l2_scale(scales: Gradients, weights: list[np.ndarray], c: np.ndarray | None) -> Gradients:
    """S of stacked gradients (leading case axis) with an L2 term c·ΣW² in the cost (c: (K,)):
    ∂R/∂W = 2cW is one more addend of ∂C/∂W (its own rounding and the sum's: 4c|W|), and R
    one more of C (2R). None: S as it is."""
    if c is None:
        return scales
    k = np.asarray(c, dtype=np.float64)[:, None, None]
    R = sum(np.sum(k * np.square(W.astype(np.float64)), axis=(1, 2)) for W in weights)
    return Gradients(
        loss=np.asarray(scales.loss) + 2 * R,
        deltas=scales.deltas,
        weights=[S + 4 * k * np.abs(W.astype(np.float64)) for S, W in zip(scales.weights, weights)],
        biases=scales.biases,
    )
