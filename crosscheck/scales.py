"""The scale each gradient element is compared at (see `crosscheck.tolerances`).

Every quantity of BP1-BP4 is a sum of products. Rounding errors of any correct
implementation, in any order of summation, are bounded by a few ε times the same sum
with every term made positive. This module computes that bound, in float64, from the
counterparts' NumPy formulas of σ and C (never the reference's code). Two quantities
travel backwards: M, a bound on the magnitude of each element (no cancellation), and
S, the error scale (error ≲ ε·S). With A = |a|, Z^l = |W^l| (A^{l-1} + E(a^{l-1})) +
|b^l| the magnitude of z^l (and so of its rounding error), σ'_loc and σ''_loc the local
slope and curvature of σ at z (differenced from the counterpart's σ), and d(z) the
counterpart's bound on the rounding error of σ' itself:

    E(a^l)   = σ'_loc Z^l + f(z) + (1 + |z|) tiny/ε   forward errors; f: the counterpart's
                                        bound on the rounding error of σ itself (~A^l);
                                        tiny: a factor like σ(z) in silu's z σ(z)
                                        underflowing or flushed to zero
    g        = bound(∇_a C),  g_E = the same counting E(a^L)
    M(δ^L)   = g σ'_loc,       S(δ^L) = g_E σ'_loc + g k(z^L)
    M(δ^l)   = |W^{l+1}|ᵀ M(δ^{l+1}) σ'_loc
    S(δ^l)   = |W^{l+1}|ᵀ S(δ^{l+1}) (σ'_loc + ε k(z^l)) + |W^{l+1}|ᵀ M(δ^{l+1}) k(z^l)
    k(z)     = σ'_loc + d(z) + σ''_loc Z + J(z)   this layer's rounding, σ' evaluated
                                                with its own error, at a z that
                                                carries one; J = jump/ε where z is
                                                closer to a kink than ε Z (either
                                                slope may be taken)
    S(∂C/∂W^l) = S(δ^l) (A^{l-1})ᵀ + M(δ^l) E(a^{l-1})ᵀ
    S(∂C/∂b^l) = Σ_x S(δ^l)
    S(C)       = |C| + Σ g ⊙ E(a^L)

So a unit saturated where σ' is computed from a ≈ 1 (σ'(z) = a(1 − a)), whose δ no
implementation knows to better than ε relative to the signal that reaches it, is
compared at the size of that signal and is no false alarm; a unit saturated where σ'
keeps its relative accuracy keeps a tight scale; and a wrong formula changes the value
by a fraction of S and is caught.

Plus, at every step, U = tiny/ε² of the case's dtype (tiny: the smallest normal
number). Frameworks may flush subnormal numbers to zero (XLA on CPU does), an absolute
error below `tiny` that later layers amplify by up to 1/ε before it reaches a value
that matters; with U in S, rtol·S (rtol ≥ ε) covers it. U is 5e-277 in float64 and
8e-25 in float32: elements below about 1e-290 (float64) and 1e-30 (float32) are
compared only against that floor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from crosscheck import counterparts
from crosscheck.case import Case
from reference import Gradients

LOCAL_STEP = 1e-4
"""h for the local slope and curvature of σ: small enough to be local, large enough
that σ(z ± h) differ well above rounding."""
_EPS = float(np.finfo(np.float64).eps)


def local_derivatives(sigma: Callable[[np.ndarray], np.ndarray], z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper estimates of |σ'(z)| and |σ''(z)| by differencing σ, with a rounding allowance."""
    h = LOCAL_STEP
    up, mid, down = sigma(z + h), sigma(z), sigma(z - h)
    noise = 4 * _EPS * (np.abs(up) + 2 * np.abs(mid) + np.abs(down))
    slope = (np.abs(up - down) + noise) / (2 * h)
    curvature = (np.abs(up - 2 * mid + down) + noise) / h**2
    return slope, curvature


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


def magnitudes(case: Case) -> Gradients:
    """S for every element of the case's loss, δ^l, ∂C/∂W^l and ∂C/∂b^l."""
    network = case.network
    S = stacked_magnitudes(
        network.weights,
        network.biases,
        case.x,
        case.y,
        network.activation.name,
        network.output_activation.name,
        network.loss.name,
    )
    return Gradients(loss=float(S.loss), deltas=S.deltas, weights=S.weights, biases=S.biases)


def _T(array: np.ndarray) -> np.ndarray:
    return np.swapaxes(array, -1, -2)


def stacked_magnitudes(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    hidden_name: str,
    output_name: str,
    loss_name: str,
) -> Gradients:
    """`magnitudes` for one case or for K cases of one structure stacked on a leading
    axis (W^l: (K, n_l, n_{l-1}), x: (K, n_1, N), ...); `loss` is then an array (K,)."""
    hidden = counterparts.activation(hidden_name)
    output = counterparts.activation(output_name)
    loss = counterparts.loss(loss_name)
    Ws = [W.astype(np.float64) for W in weights]
    bs = [b.astype(np.float64) for b in biases]
    info = np.finfo(weights[0].dtype)
    U = float(info.tiny / info.eps**2)
    flush = float(info.tiny / info.eps)  # an absolute error of `tiny`, in units of ε
    y = y.astype(np.float64)

    a = x.astype(np.float64)
    A, E, slopes, ks = [np.abs(a)], [np.zeros_like(a)], [], []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        sigma = output if i == len(Ws) - 1 else hidden
        z = W @ a + b
        a = sigma.numpy(z)
        Z = np.abs(W) @ (A[-1] + E[-1]) + np.abs(b)
        A.append(np.abs(a))
        if sigma.elementwise:
            slope, curvature = local_derivatives(sigma.numpy, z)
            E.append(slope * Z + sigma.function_error(z, a) + flush * (1 + np.abs(z)))
            slopes.append(slope)
            ks.append(slope + sigma.derivative_error(z, a) + curvature * Z + _kink_flips(sigma, z, Z, info.eps))
        else:  # softmax: Δa_j = a_j (Δz_j − Σ_k a_k Δz_k)
            E.append(A[-1] * (Z + np.sum(A[-1] * Z, axis=-2, keepdims=True)) + A[-1])

    g = loss.gradient_scale(a, y, np.zeros_like(a))
    g_E = loss.gradient_scale(a, y, E[-1])
    if output.elementwise:
        M = g * slopes[-1] + U
        S = g_E * slopes[-1] + g * ks[-1] + U
    else:  # δ_k = a_k (g_k − Σ_j a_j g_j), with errors in g and in a
        a_L, E_L = A[-1], E[-1]
        M = a_L * (g + np.sum(a_L * g, axis=-2, keepdims=True)) + U
        S = (
            a_L * (g_E + np.sum(a_L * g_E, axis=-2, keepdims=True))
            + E_L * (g + np.sum(a_L * g, axis=-2, keepdims=True))
            + a_L * np.sum(E_L * g, axis=-2, keepdims=True)
            + M
        )
    Ms, Ss = [M], [S]
    for l in range(len(Ws) - 2, -1, -1):  # layers L-1 .. 2, code index l
        W_abs_T = _T(np.abs(Ws[l + 1]))
        # The upstream error also meets σ' evaluated with its own error (ε·k): that
        # product matters where σ' vanishes but its evaluation error does not.
        S = (W_abs_T @ S) * (slopes[l] + info.eps * ks[l]) + (W_abs_T @ M) * ks[l] + U
        M = (W_abs_T @ M) * slopes[l] + U
        Ms.insert(0, M)
        Ss.insert(0, S)
    grads_W = [S @ _T(A_ + info.tiny) + M @ _T(E_) + U for S, M, A_, E_ in zip(Ss, Ms, A, E)]
    grads_b = [S.sum(axis=-1, keepdims=True) + U for S in Ss]
    cost = np.abs(loss.numpy_per_sample(a, y).sum(axis=-1)) + np.sum(g * E[-1], axis=(-2, -1)) + U
    return Gradients(loss=cost, deltas=Ss, weights=grads_W, biases=grads_b)
