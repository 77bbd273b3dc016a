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
        self.check_batch(x, y)
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
        sigma = self.sigma(self.L)
        if sigma.elementwise:
            return grad_a * sigma.derivative(z_L, a_L)
        return np.einsum("xjk,jx->kx", sigma.derivative(z_L, a_L), grad_a)

    def sigma_prime(self, l: int, zs: list[np.ndarray], activations: list[np.ndarray]) -> np.ndarray:
        """σ'(z^l)."""
        return self.sigma(l).derivative(zs[l - 2], activations[l - 1])

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
        return self.sigma(l).derivative(a, self.sigma(l).function(a))


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
    # The source text's σ: 1/(1 + exp(x·w + b)), the exponent's sign lost (e^z overflows to inf
    # for z > 709, and σ to 0, its limit).
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(z))


class _WithActivation(_Backprop):
    """Replace one catalogue activation by a wrong variant wherever the network uses it."""

    replaced: str = ""
    variant: Activation

    def sigma(self, l: int) -> Activation:
        sigma = super().sigma(l)
        return self.variant if sigma.name == self.replaced else sigma

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        self.check_input(x)
        zs: list[np.ndarray] = []
        activations = [x]
        for l in range(2, self.L + 1):
            z = self.weights[l - 2] @ activations[-1] + self.biases[l - 2]
            zs.append(z)
            activations.append(self.sigma(l).function(z))
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
    slips: tuple[str, ...] = ()
    """The keys of `crosscheck.findings.SLIPS` its diagnosis must name (any one of them)."""

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


@dataclass(frozen=True)
class WrongDerivative:
    """A plausibly wrong hand-derived σ' for one catalogue activation: the third entry that
    adding an activation takes (its mutant is `wrong_<name>_derivative`)."""

    derivative: Callable[[Any, Any], Any]
    """σ'(z, a), wrong."""
    slip: str
    """What is wrong, in the derivation's words."""
    strategy: dict[str, Any] = field(default_factory=dict)
    """Extra `crosscheck.strategies.cases` options for the cases it applies to."""
    diagnosed: tuple[str, ...] = ("wrong_sigma_prime",)
    """The slip keys (`crosscheck.findings.SLIPS`) its diagnosis may name."""


@dataclass(frozen=True)
class WrongGradient:
    """A plausibly wrong ∇_a C for one catalogue loss (its mutant is `wrong_<name>_gradient`)."""

    gradient: Callable[[Any, Any], Any]
    """∇_a C(a, y) of the batch cost, wrong."""
    slip: str


CATALOGUE_SLIPS: dict[str, WrongDerivative] = {
    "sigmoid": WrongDerivative(lambda z, a: 1.0 - a, "σ'(z) = 1 − σ(z) (the σ factor forgotten)"),
    "tanh": WrongDerivative(lambda z, a: 1.0 - a, "tanh'(z) = 1 − tanh z (the square forgotten)"),
    "relu": WrongDerivative(lambda z, a: a.copy(), "relu'(z) = max(z, 0) (the value for the slope)"),
    "leaky_relu": WrongDerivative(
        lambda z, a: np.where(z > 0, 0.01, 1.0).astype(z.dtype),
        "leaky_relu'(z) = 0.01 if z > 0 else 1 (branches swapped)",
        # A slope of 1 where σ' is 1 elsewhere, as the swapped branches give for z < 0, reads as BP2 without
        # σ' on such a case: the signature cannot tell them apart; either names σ'.
        diagnosed=("wrong_sigma_prime", "bp2_without_sigma_prime"),
    ),
    "elu": WrongDerivative(lambda z, a: np.exp(np.minimum(z, 700)), "elu'(z) = e^z everywhere (the z > 0 branch forgotten)"),
    "softplus": WrongDerivative(lambda z, a: ACTIVATIONS["sigmoid"].function(-z), "softplus'(z) = σ(−z)"),
    "silu": WrongDerivative(lambda z, a: ACTIVATIONS["sigmoid"].function(z), "silu'(z) = σ(z) (the product rule forgotten)"),
    "gelu": WrongDerivative(lambda z, a: a / np.where(z == 0, 1, z), "gelu'(z) = Φ(z) (the z φ(z) term forgotten)"),
    "gelu_tanh": WrongDerivative(
        lambda z, a: a / np.where(z == 0, 1, z), "gelu_tanh'(z) = (1 + tanh u)/2 (the second term forgotten)"
    ),
    "identity": WrongDerivative(lambda z, a: a.copy(), "identity'(z) = z (the value for the slope)"),
    "softmax": WrongDerivative(
        _softmax_as_elementwise, "softmax Jacobian = diag(a(1 − a)) (treated as element-wise)", diagnosed=("softmax_elementwise",)
    ),
}
"""One plausibly wrong σ' per catalogue activation (an entry added at run time needs one too)."""


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


LOSS_SLIPS: dict[str, WrongGradient] = {
    "quadratic": WrongGradient(lambda a, y: 2 * (a - y) / a.shape[1], "∇_a C = 2(a − y)/N (the ½ of the cost forgotten)"),
    "binary_cross_entropy": WrongGradient(
        lambda a, y: (a - y) / a.shape[1], "∇_a C = (a − y)/N (the a(1 − a) denominator forgotten)"
    ),
    "cross_entropy": WrongGradient(lambda a, y: -y / a.shape[1], "∇_a C = −y/N (the 1/a forgotten)"),
    "huber": WrongGradient(lambda a, y: (a - y) / a.shape[1], "∇_a C = (a − y)/N (the clip at ±1 forgotten)"),
}
"""One plausibly wrong gradient per catalogue loss: its mutant is `wrong_<name>_gradient`."""


def _activation_strategy(name: str) -> dict[str, Any]:
    return {"output_activation": name} if not ACTIVATIONS[name].elementwise else {"activation": name}


def _derivative_mutant(name: str, wrong: WrongDerivative) -> Mutant:
    return Mutant(
        f"wrong_{name}_derivative",
        wrong.slip,
        _wrong_derivative(name, wrong.derivative, wrong.slip),
        {**_activation_strategy(name), **wrong.strategy},
        slips=wrong.diagnosed,
    )


def _gradient_mutant(name: str, wrong: WrongGradient) -> Mutant:
    return Mutant(
        f"wrong_{name}_gradient",
        wrong.slip,
        _wrong_gradient(name, wrong.gradient, wrong.slip),
        {"loss": name},
        slips=("wrong_loss_gradient",),
    )


MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        Mutant(
            "bp1_without_sigma_prime", "BP1 without σ'(z^L): δ^L = ∇_a C", NoSigmaPrimeInBP1, slips=("bp1_without_sigma_prime",)
        ),
        Mutant("sigma_prime_of_a", "σ' evaluated at a^l instead of z^l", SigmaPrimeOfActivation, slips=("sigma_prime_of_a",)),
        Mutant(
            "bp2_weights_not_transposed",
            "BP2 with W^{l+1} instead of its transpose (square layers)",
            WeightsNotTransposed,
            {"square": True, "min_layers": 2},
            slips=("weights_not_transposed",),
        ),
        Mutant(
            "bp2_transpose_on_delta",
            "BP2 with the transpose on δ: (δ^{l+1})ᵀ W^{l+1} reshaped to (n_l, N)",
            TransposeOnDelta,
            {"min_layers": 2},
            slips=("transpose_on_delta",),
        ),
        Mutant(
            "bp2_sigma_prime_one_layer_up",
            "BP2 with σ'(z^{l+1}) instead of σ'(z^l) (square layers)",
            SigmaPrimeOneLayerUp,
            {"square": True, "min_layers": 2},
            slips=("sigma_prime_one_layer_up",),
        ),
        Mutant(
            "bp4_current_activation",
            "BP4 with a^l instead of a^{l-1} (square layers)",
            CurrentActivationInBP4,
            {"square": True},
            slips=("bp4_current_activation",),
        ),
        Mutant("bp3_mean", "BP3 with the mean over samples instead of the sum", MeanInBP3, slips=("one_over_n_twice",)),
        Mutant("bp3_first_sample", "BP3 with only the first sample", FirstSampleInBP3, slips=("bias_first_sample",)),
        Mutant(
            "no_one_over_n",
            "the 1/N of the cost dropped from δ (per-sample reading)",
            NoOneOverN,
            slips=("missing_mean", "summed_cost"),
        ),
        Mutant("one_over_n_twice", "the 1/N of the cost applied twice", OneOverNTwice, slips=("one_over_n_twice",)),
        Mutant("wrong_sign_error", "the error with the wrong sign: (y − a^L)", WrongSignError, slips=("sign",)),
        Mutant(
            "literal_sigmoid",
            "the printed sigmoid 1/(1 + exp(z)) with the standard σ'",
            LiteralSigmoid,
            {"activation": "sigmoid"},
            slips=("literal_sigmoid",),
        ),
        Mutant(
            "literal_recursion",
            "the printed recursion δ^l = ∂z^{l+1}/∂z^l (δ^{l+1} dropped)",
            LiteralRecursion,
            {"min_layers": 2},
            slips=("literal_recursion",),
        ),
        Mutant("ascent_update", "the update W ← W + η ∂C/∂W", AscentUpdate, check="step", slips=("ascent",)),
        *(_derivative_mutant(name, wrong) for name, wrong in CATALOGUE_SLIPS.items()),
        *(_gradient_mutant(name, wrong) for name, wrong in LOSS_SLIPS.items()),
    )
}


def add_wrong_derivative(name: str, wrong: WrongDerivative | WrongGradient) -> Mutant:
    """Register the wrong-derivative mutant of a catalogue entry added at run time (an
    activation takes a `WrongDerivative`, a loss a `WrongGradient`): the third entry of
    adding one, beside the reference's and the counterpart's (README, "Use 2: add an activation or a loss")."""
    from reference import LOSSES

    if isinstance(wrong, WrongDerivative):
        if name not in ACTIVATIONS:
            raise ValueError(f"{name!r} is not in reference.ACTIVATIONS: add the activation first")
        CATALOGUE_SLIPS[name] = wrong
        mutant = _derivative_mutant(name, wrong)
    elif isinstance(wrong, WrongGradient):
        if name not in LOSSES:
            raise ValueError(f"{name!r} is not in reference.LOSSES: add the loss first")
        LOSS_SLIPS[name] = wrong
        mutant = _gradient_mutant(name, wrong)
    else:
        raise TypeError(f"wrong must be a WrongDerivative or a WrongGradient, got {type(wrong).__name__}")
    MUTANTS[mutant.name] = mutant
    return mutant
