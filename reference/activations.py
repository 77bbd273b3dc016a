"""Activation functions σ and their hand-derived derivatives σ', side by side.

Each entry computes `a = σ(z)` and `σ'(z)`; the derivative is given `z` and the
already computed `a = σ(z)` so BP1/BP2 never evaluate σ twice. Arrays are
`(n_l, N)`: one column per sample. `kinks` lists the points where σ is not
differentiable; there σ' takes the slope on the left (z < 0), PyTorch's convention
for relu and leaky_relu and JAX's for relu.

Softmax is not element-wise: it gives the Jacobian J[x, j, k] = ∂a_j/∂z_k of each
sample instead of σ', and BP1 becomes δ^L = Jᵀ ∇_a C. It can only be an output
activation (BP2 multiplies by σ'(z^l) element-wise).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference._types import Array


@dataclass(frozen=True)
class Activation:
    """An activation σ with its derivative σ' (element-wise) or its Jacobian (softmax)."""

    name: str
    function: Callable[[Array], Array]
    """a = σ(z)."""
    derivative: Callable[[Array, Array], Array]
    """σ'(z), given z and a = σ(z); for a non-element-wise σ, the Jacobian (N, n, n)."""
    formula: str
    """σ and σ' as the derivation writes them (shown in reports)."""
    kinks: tuple[float, ...] = ()
    elementwise: bool = True


# --- sigmoid: σ(z) = 1/(1 + e^{-z}),  σ'(z) = σ(z)(1 − σ(z)) -------------------------
def sigmoid(z: Array) -> Array:
    # For z ≪ 0, e^{-z} overflows to inf and σ to 0, its limit (the true value is then
    # below the smallest normal number, 1e-38 in float32); nothing else can overflow,
    # and the formula keeps σ's relative accuracy on both sides. In place: one array.
    a = np.negative(z)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += 1.0
    return np.divide(1.0, a, out=a)


def sigmoid_derivative(z: Array, a: Array) -> Array:
    # σ(1 − σ) with 1 − σ(z) = σ(−z) = 1/(1 + e^z): σ' = a/(1 + e^z). 1 − σ computed from
    # σ ≈ 1 would lose every digit for z ≳ 37 (σ' = 0 where the true value is 1e-16); each
    # factor here keeps its relative accuracy. e^z overflows only where σ' is below the
    # smallest normal number (σ' = 0 there). In place: one array.
    with np.errstate(over="ignore"):
        t = np.exp(z)
    t += 1.0
    return np.divide(a, t, out=t)


# --- tanh: σ(z) = tanh z,  σ'(z) = 1 − tanh² z ---------------------------------------
def tanh_derivative(z: Array, a: Array) -> Array:
    # 1 − tanh², in the equal form sech² z = 4e^{-2|z|}/(1 + e^{-2|z|})²: 1 − tanh² cancels
    # to 0 for |z| ≳ 19.
    t = np.abs(z)
    t *= -2.0
    with np.errstate(under="ignore"):
        np.exp(t, out=t)
        u = t + 1.0
        u *= u
        t *= 4.0
        return np.divide(t, u, out=t)


# --- relu: σ(z) = max(z, 0),  σ'(z) = 1 if z > 0 else 0 ------------------------------
def relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def relu_derivative(z: Array, a: Array) -> Array:
    return (z > 0).astype(z.dtype)


# --- leaky_relu: σ(z) = z if z > 0 else 0.01 z,  σ'(z) = 1 if z > 0 else 0.01 --------
LEAKY_SLOPE = 0.01


def leaky_relu(z: Array) -> Array:
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def leaky_relu_derivative(z: Array, a: Array) -> Array:
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)


# --- elu (α = 1): σ(z) = z if z > 0 else e^z − 1,  σ'(z) = 1 if z > 0 else e^z = σ(z) + 1
def elu(z: Array) -> Array:
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))


def elu_derivative(z: Array, a: Array) -> Array:
    # e^z for z ≤ 0 (equal to σ(z) + 1, which cancels: 0 at z = −60 where e^z = 8.8e-27).
    with np.errstate(under="ignore"):
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))).astype(z.dtype)


# --- softplus: σ(z) = log(1 + e^z),  σ'(z) = 1/(1 + e^{-z}) (the sigmoid) -------------
def softplus(z: Array) -> Array:
    return np.logaddexp(0.0, z).astype(z.dtype)


def softplus_derivative(z: Array, a: Array) -> Array:
    return sigmoid(z)


# --- silu: σ(z) = z s(z) with s the sigmoid,  σ'(z) = s(z)(1 + z(1 − s(z))) -----------
def silu(z: Array) -> Array:
    return z * sigmoid(z)


def silu_derivative(z: Array, a: Array) -> Array:
    # s(1 + z(1 − s)), with 1 − s = s(−z) computed as itself (it cancels for z ≫ 0).
    return sigmoid(z) * (1.0 + z * sigmoid(-z))


# --- gelu (exact): σ(z) = z Φ(z),  σ'(z) = Φ(z) + z φ(z) ------------------------------
# Φ(z) = (1 + erf(z/√2))/2 = erfc(−z/√2)/2 and φ(z) = e^{-z²/2}/√(2π). The erfc form keeps
# Φ's relative accuracy in the lower tail, where 1 + erf cancels. NumPy has no erfc;
# math.erfc is applied element by element (exact to double precision, slower than a ufunc).
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _Phi(z: Array) -> Array:
    return (0.5 * _erfc(-z / math.sqrt(2.0)).astype(np.float64)).astype(z.dtype)


def gelu(z: Array) -> Array:
    return z * _Phi(z)


def gelu_derivative(z: Array, a: Array) -> Array:
    with np.errstate(under="ignore"):
        phi = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return _Phi(z) + z * phi


# --- gelu_tanh: σ(z) = z(1 + tanh u)/2 with u = √(2/π)(z + 0.044715 z³) ---------------
#     σ'(z) = (1 + tanh u)/2 + z (1 − tanh² u) √(2/π)(1 + 3·0.044715 z²)/2
_K, _C = math.sqrt(2.0 / math.pi), 0.044715


def gelu_tanh(z: Array) -> Array:
    return 0.5 * z * (1.0 + np.tanh(_K * (z + _C * z**3)))


def gelu_tanh_derivative(z: Array, a: Array) -> Array:
    # The same, with (1 + tanh u)/2 = s(2u) and 1 − tanh² u = 4 s(2u) s(−2u) (s the sigmoid):
    # σ' = s(2u)(1 + 2z s(−2u) u'), u' = √(2/π)(1 + 3·0.044715 z²). 1 + tanh u cancels for
    # u ≪ 0 (σ' = 0 at z = −11.2 where the true value is −2.1e-49); this form does not.
    u2 = 2.0 * _K * (z + _C * z**3)
    return sigmoid(u2) * (1.0 + 2.0 * z * sigmoid(-u2) * _K * (1.0 + 3.0 * _C * z * z))


# --- identity: σ(z) = z,  σ'(z) = 1 ----------------------------------------------------
def identity(z: Array) -> Array:
    return z.copy()


def identity_derivative(z: Array, a: Array) -> Array:
    return np.ones_like(z)


# --- softmax (output only): a_j = e^{z_j} / Σ_k e^{z_k},  J_jk = a_j (1[j = k] − a_k) ---
def softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=-2, keepdims=True))  # axis −2: the neurons of each column
    return e / e.sum(axis=-2, keepdims=True)


def softmax_jacobian(z: Array, a: Array) -> Array:
    """J[x] = diag(a_x) − a_x a_xᵀ for each sample x: shape (N, n, n) ((K, N, n, n) for a stack).

    The diagonal a_j(1 − a_j) is computed as a_j Σ_{k≠j} a_k, its equal form: 1 − a_j
    cancels where a_j ≈ 1."""
    columns = np.swapaxes(a, -1, -2)  # (N, n): one row per sample
    n = a.shape[-2]
    others = columns @ (1.0 - np.eye(n, dtype=a.dtype))  # Σ_{k≠j} a_k, per sample
    J = -(columns[..., :, None] * columns[..., None, :])
    index = np.arange(n)
    J[..., index, index] = columns * others
    return J


ACTIVATIONS: dict[str, Activation] = {
    entry.name: entry
    for entry in (
        Activation("sigmoid", sigmoid, sigmoid_derivative, "σ(z) = 1/(1+e^{-z}), σ'(z) = σ(z)(1−σ(z))"),
        Activation("tanh", np.tanh, tanh_derivative, "σ(z) = tanh z, σ'(z) = 1 − tanh² z"),
        Activation("relu", relu, relu_derivative, "σ(z) = max(z, 0), σ'(z) = 1[z > 0]", kinks=(0.0,)),
        Activation(
            "leaky_relu",
            leaky_relu,
            leaky_relu_derivative,
            "σ(z) = z if z > 0 else 0.01z, σ'(z) = 1 if z > 0 else 0.01",
            kinks=(0.0,),
        ),
        Activation("elu", elu, elu_derivative, "σ(z) = z if z > 0 else e^z − 1, σ'(z) = 1 if z > 0 else e^z"),
        Activation("softplus", softplus, softplus_derivative, "σ(z) = log(1 + e^z), σ'(z) = 1/(1 + e^{-z})"),
        Activation("silu", silu, silu_derivative, "σ(z) = z s(z), σ'(z) = s(z)(1 + z(1 − s(z))), s = sigmoid"),
        Activation("gelu", gelu, gelu_derivative, "σ(z) = z Φ(z), σ'(z) = Φ(z) + z φ(z)"),
        Activation(
            "gelu_tanh",
            gelu_tanh,
            gelu_tanh_derivative,
            "σ(z) = z(1 + tanh u)/2, u = √(2/π)(z + 0.044715z³)",
        ),
        Activation("identity", identity, identity_derivative, "σ(z) = z, σ'(z) = 1"),
        Activation(
            "softmax",
            softmax,
            softmax_jacobian,
            "a_j = e^{z_j}/Σ_k e^{z_k}, J_jk = a_j(1[j=k] − a_k)",
            elementwise=False,
        ),
    )
}
