"""Negative controls: plausible wrong derivations, each one slip away from the reference.

A checker that never fails proves nothing. Every mutant here is a `Network` whose
backward pass (or forward pass, or update) differs from the derivation in exactly one
place; the suite must reject each one, with each autograd oracle on its own.

`_Backprop` restates the reference's BP1-BP4 as small overridable steps (a test checks
it reproduces `reference.Network.backward` bit for bit); each mutant overrides one
step. They live here, in `crosscheck/`, and are never importable as the reference.
The search for each mutant's counterexample is `crosscheck.certificate.controls.hunt`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from reference import ACTIVATIONS, Activation, Gradients, Network


class _Backprop(Network):
    """The reference's backward pass, one overridable method per equation."""

    def backward(self, x: np.ndarray, y: np.ndarray, *, out: Gradients | None = None) -> Gradients:
        """`out` is accepted, as the reference's, and not written into: a mutant's arrays are new."""
        self._check_y(x, y)
        zs, activations = self.forward(x)
        L = self.L
        a_L = activations[L - 1]
        loss = self.loss.cost(a_L, y)
        deltas: list[np.ndarray] = [np.empty(0)] * (L - 1)
        deltas[L - 2] = self.bp1(self.loss_gradient(a_L, y), zs[L - 2], a_L)
        for l in range(L - 1, 1, -1):
            deltas[l - 2] = self.bp2(l, self.weights[l - 1], deltas[l - 1], zs, activations)
        biases = [self.bp3(d) for d in deltas]
        weights = [self.bp4(l, deltas[l - 2], activations) for l in range(2, L + 1)]
        return Gradients(loss=loss, deltas=deltas, weights=weights, biases=biases)

    def loss_gradient(self, a_L: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.loss.gradient(a_L, y)

    def bp1(self, grad_a: np.ndarray, z_L: np.ndarray, a_L: np.ndarray) -> np.ndarray:
        sigma = self._sigma(self.L)
        if sigma.elementwise:
            return grad_a * sigma.derivative(z_L, a_L)
        return np.einsum("xjk,jx->kx", sigma.derivative(z_L, a_L), grad_a)

    def sigma_prime(self, l: int, zs: list[np.ndarray], activations: list[np.ndarray]) -> np.ndarray:
        """σ'(z^l)."""
        return self._sigma(l).derivative(zs[l - 2], activations[l - 1])

    def bp2(self, l: int, W_next: np.ndarray, delta_next: np.ndarray, zs: list, activations: list) -> np.ndarray:
        return (W_next.T @ delta_next) * self.sigma_prime(l, zs, activations)

    def bp3(self, delta: np.ndarray) -> np.ndarray:
        return delta.sum(axis=1, keepdims=True)

    def bp4(self, l: int, delta: np.ndarray, activations: list[np.ndarray]) -> np.ndarray:
        return delta @ activations[l - 2].T


# --- the slips -------------------------------------------------------------------------
class NoSigmaPrimeInBP1(_Backprop):
    def bp1(self, grad_a: np.ndarray, z_L: np.ndarray, a_L: np.ndarray) -> np.ndarray:
        return grad_a


class SigmaPrimeOfActivation(_Backprop):
    """σ'(a^l) where σ'(z^l) belongs, in BP1 and BP2."""

    def bp1(self, grad_a: np.ndarray, z_L: np.ndarray, a_L: np.ndarray) -> np.ndarray:
        return super().bp1(grad_a, a_L, self.output_activation.function(a_L))

    def sigma_prime(self, l: int, zs: list, activations: list) -> np.ndarray:
        a = activations[l - 1]
        return self._sigma(l).derivative(a, self._sigma(l).function(a))


class WeightsNotTransposed(_Backprop):
    def bp2(self, l: int, W_next: np.ndarray, delta_next: np.ndarray, zs: list, activations: list) -> np.ndarray:
        return (W_next @ delta_next) * self.sigma_prime(l, zs, activations)


class TransposeOnDelta(_Backprop):
    """δ^{l+1}ᵀ W^{l+1}, then reshaped (not transposed) to (n_l, N)."""

    def bp2(self, l: int, W_next: np.ndarray, delta_next: np.ndarray, zs: list, activations: list) -> np.ndarray:
        n_l, N = zs[l - 2].shape
        return (delta_next.T @ W_next).reshape(n_l, N) * self.sigma_prime(l, zs, activations)


class SigmaPrimeOneLayerUp(_Backprop):
    """BP2 with σ'(z^{l+1}) instead of σ'(z^l)."""

    def bp2(self, l: int, W_next: np.ndarray, delta_next: np.ndarray, zs: list, activations: list) -> np.ndarray:
        return (W_next.T @ delta_next) * self.sigma_prime(l + 1, zs, activations)


class CurrentActivationInBP4(_Backprop):
    """∂C/∂W^l = δ^l (a^l)ᵀ instead of δ^l (a^{l-1})ᵀ."""

    def bp4(self, l: int, delta: np.ndarray, activations: list[np.ndarray]) -> np.ndarray:
        return delta @ activations[l - 1].T


class MeanInBP3(_Backprop):
    def bp3(self, delta: np.ndarray) -> np.ndarray:
        return delta.mean(axis=1, keepdims=True)


class FirstSampleInBP3(_Backprop):
    def bp3(self, delta: np.ndarray) -> np.ndarray:
        return delta[:, :1].copy()


class NoOneOverN(_Backprop):
    """The per-sample reading: δ^L without the cost's 1/N (so every gradient is N times too big)."""

    def loss_gradient(self, a_L: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.loss.gradient(a_L, y) * a_L.shape[1]


class OneOverNTwice(_Backprop):
    def loss_gradient(self, a_L: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.loss.gradient(a_L, y) / a_L.shape[1]


class WrongSignError(_Backprop):
    """∇_a C = (y − a^L)/N: the error with the wrong sign."""

    def loss_gradient(self, a_L: np.ndarray, y: np.ndarray) -> np.ndarray:
        return -self.loss.gradient(a_L, y)


class LiteralRecursion(_Backprop):
    """The printed recursion δ^l = ∂z^{l+1}/∂z^l: the chain factor with δ^{l+1} dropped,
    read as (W^{l+1})ᵀ 𝟙 ⊙ σ'(z^l) (the Jacobian applied to ones in place of δ^{l+1})."""

    def bp2(self, l: int, W_next: np.ndarray, delta_next: np.ndarray, zs: list, activations: list) -> np.ndarray:
        return (W_next.T @ np.ones_like(delta_next)) * self.sigma_prime(l, zs, activations)


class AscentUpdate(_Backprop):
    """W ← W + η ∂C/∂W: the update with + instead of −."""

    def step(self, gradients: Gradients, learning_rate: float) -> None:
        for W, b, dW, db in zip(self.weights, self.biases, gradients.weights, gradients.biases):
            W += learning_rate * dW
            b += learning_rate * db


def _literal_sigmoid(z: np.ndarray) -> np.ndarray:
    # The source text's σ: 1/(1 + exp(x·w + b)), the exponent's sign lost.
    return 1.0 / (1.0 + np.exp(np.clip(z, -700, 700)))


class _WithActivation(_Backprop):
    """Replace one catalogue activation by a wrong variant wherever the network uses it."""

    replaced: str = ""
    variant: Activation

    def _sigma(self, l: int) -> Activation:
        sigma = super()._sigma(l)
        return self.variant if sigma.name == self.replaced else sigma

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        self._check_x(x)
        zs: list[np.ndarray] = []
        activations = [x]
        for l in range(2, self.L + 1):
            z = self.weights[l - 2] @ activations[-1] + self.biases[l - 2]
            zs.append(z)
            activations.append(self._sigma(l).function(z))
        return zs, activations


def _wrong_derivative(name: str, derivative: Callable[[Any, Any], Any], slip: str) -> type[_WithActivation]:
    variant = replace(ACTIVATIONS[name], derivative=derivative, formula=slip)
    return type(f"Wrong_{name}", (_WithActivation,), {"replaced": name, "variant": variant, "__doc__": slip})


LiteralSigmoid = type(
    "LiteralSigmoid",
    (_WithActivation,),
    {
        "replaced": "sigmoid",
        "variant": replace(ACTIVATIONS["sigmoid"], function=_literal_sigmoid),
        "__doc__": "The printed σ(z) = 1/(1 + exp(z)) with the standard σ' = σ(1 − σ).",
    },
)


@dataclass(frozen=True)
class Mutant:
    """A wrong derivation and where it can show."""

    name: str
    description: str
    network: type[Network]
    strategy: dict[str, Any] = field(default_factory=dict)
    """Arguments to `crosscheck.strategies.cases` for the cases it applies to."""
    check: str = "gradients"
    """"gradients" (loss, δ, ∂C/∂W, ∂C/∂b against the oracle) or "step" (one update)."""

    def build(self, network: Network) -> Network:
        """This mutant with `network`'s parameters, activations and loss."""
        return self.network(
            network.weights,
            network.biases,
            activation=network.activation.name,
            output_activation=network.output_activation.name,
            loss=network.loss.name,
        )


def _softmax_as_elementwise(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.einsum("xj,jk->xjk", (a * (1 - a)).T, np.eye(a.shape[0], dtype=a.dtype))


_CATALOGUE_SLIPS: dict[str, tuple[Callable[[Any, Any], Any], str, dict[str, Any]]] = {
    "sigmoid": (lambda z, a: 1.0 - a, "σ'(z) = 1 − σ(z) (the σ factor forgotten)", {}),
    "tanh": (lambda z, a: 1.0 - a, "tanh'(z) = 1 − tanh z (the square forgotten)", {}),
    "relu": (lambda z, a: a.copy(), "relu'(z) = max(z, 0) (the value for the slope)", {}),
    "leaky_relu": (
        lambda z, a: np.where(z > 0, 0.01, 1.0).astype(z.dtype),
        "leaky_relu'(z) = 0.01 if z > 0 else 1 (branches swapped)",
        {},
    ),
    "elu": (lambda z, a: np.exp(np.minimum(z, 700)), "elu'(z) = e^z everywhere (the z > 0 branch forgotten)", {}),
    "softplus": (lambda z, a: ACTIVATIONS["sigmoid"].function(-z), "softplus'(z) = σ(−z)", {}),
    "silu": (lambda z, a: ACTIVATIONS["sigmoid"].function(z), "silu'(z) = σ(z) (the product rule forgotten)", {}),
    "gelu": (
        lambda z, a: a / np.where(z == 0, 1, z),
        "gelu'(z) = Φ(z) (the z φ(z) term forgotten)",
        {},
    ),
    "gelu_tanh": (
        lambda z, a: a / np.where(z == 0, 1, z),
        "gelu_tanh'(z) = (1 + tanh u)/2 (the second term forgotten)",
        {},
    ),
    "identity": (lambda z, a: a.copy(), "identity'(z) = z (the value for the slope)", {}),
    "softmax": (_softmax_as_elementwise, "softmax Jacobian = diag(a(1 − a)) (treated as element-wise)", {}),
}


class _WithLossGradient(_Backprop):
    """Replace one catalogue loss's ∇_a C by a wrong variant wherever the network uses it."""

    replaced: str = ""
    wrong: Callable[[Any, Any], Any]

    def loss_gradient(self, a_L: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.loss.name == self.replaced:
            return type(self).wrong(a_L, y)
        return super().loss_gradient(a_L, y)


def _wrong_gradient(name: str, gradient: Callable[[Any, Any], Any], slip: str) -> type[_WithLossGradient]:
    return type(
        f"WrongGradient_{name}", (_WithLossGradient,), {"replaced": name, "wrong": staticmethod(gradient), "__doc__": slip}
    )


_LOSS_SLIPS: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "quadratic": (lambda a, y: 2 * (a - y) / a.shape[1], "∇_a C = 2(a − y)/N (the ½ of the cost forgotten)"),
    "binary_cross_entropy": (lambda a, y: (a - y) / a.shape[1], "∇_a C = (a − y)/N (the a(1 − a) denominator forgotten)"),
    "cross_entropy": (lambda a, y: -y / a.shape[1], "∇_a C = −y/N (the 1/a forgotten)"),
    "huber": (lambda a, y: (a - y) / a.shape[1], "∇_a C = (a − y)/N (the clip at ±1 forgotten)"),
}
"""One plausibly wrong gradient per catalogue loss: its mutant is `wrong_<name>_gradient`."""


def _activation_strategy(name: str) -> dict[str, Any]:
    return {"output_activation": name} if not ACTIVATIONS[name].elementwise else {"activation": name}


MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        Mutant("bp1_without_sigma_prime", "BP1 without σ'(z^L): δ^L = ∇_a C", NoSigmaPrimeInBP1),
        Mutant("sigma_prime_of_a", "σ' evaluated at a^l instead of z^l", SigmaPrimeOfActivation),
        Mutant(
            "bp2_weights_not_transposed",
            "BP2 with W^{l+1} instead of its transpose (square layers)",
            WeightsNotTransposed,
            {"square": True, "min_layers": 2},
        ),
        Mutant(
            "bp2_transpose_on_delta",
            "BP2 with the transpose on δ: (δ^{l+1})ᵀ W^{l+1} reshaped to (n_l, N)",
            TransposeOnDelta,
            {"min_layers": 2},
        ),
        Mutant(
            "bp2_sigma_prime_one_layer_up",
            "BP2 with σ'(z^{l+1}) instead of σ'(z^l) (square layers)",
            SigmaPrimeOneLayerUp,
            {"square": True, "min_layers": 2},
        ),
        Mutant(
            "bp4_current_activation",
            "BP4 with a^l instead of a^{l-1} (square layers)",
            CurrentActivationInBP4,
            {"square": True},
        ),
        Mutant("bp3_mean", "BP3 with the mean over samples instead of the sum", MeanInBP3),
        Mutant("bp3_first_sample", "BP3 with only the first sample", FirstSampleInBP3),
        Mutant("no_one_over_n", "the 1/N of the cost dropped from δ (per-sample reading)", NoOneOverN),
        Mutant("one_over_n_twice", "the 1/N of the cost applied twice", OneOverNTwice),
        Mutant("wrong_sign_error", "the error with the wrong sign: (y − a^L)", WrongSignError),
        Mutant(
            "literal_sigmoid",
            "the printed sigmoid 1/(1 + exp(z)) with the standard σ'",
            LiteralSigmoid,
            {"activation": "sigmoid"},
        ),
        Mutant(
            "literal_recursion",
            "the printed recursion δ^l = ∂z^{l+1}/∂z^l (δ^{l+1} dropped)",
            LiteralRecursion,
            {"min_layers": 2},
        ),
        Mutant("ascent_update", "the update W ← W + η ∂C/∂W", AscentUpdate, check="step"),
        *(
            Mutant(
                f"wrong_{name}_derivative",
                slip,
                _wrong_derivative(name, derivative, slip),
                {**_activation_strategy(name), **extra},
            )
            for name, (derivative, slip, extra) in _CATALOGUE_SLIPS.items()
        ),
        *(
            Mutant(f"wrong_{name}_gradient", slip, _wrong_gradient(name, gradient, slip), {"loss": name})
            for name, (gradient, slip) in _LOSS_SLIPS.items()
        ),
    )
}
