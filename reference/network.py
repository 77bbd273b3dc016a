"""The network of the derivation: forward pass, BP1-BP4 and the gradient-descent step.

Layers are numbered as in the derivation: l = 1 is the input, l = L the output.
In code (lists start at 0):

    W^l = weights[l-2]      (n_l, n_{l-1})
    b^l = biases[l-2]       (n_l, 1)
    z^l = zs[l-2]           (n_l, N)
    a^l = activations[l-1]  (n_l, N),  a^1 = x
    δ^l = deltas[l-2]       (n_l, N)

One column per sample; the cost is the mean over the N columns, so δ^l is ∂C/∂z^l of
the batch cost (1/N times the per-sample δ of the derivation).

A stack of K networks of one shape runs through the same code: every array gets a
leading axis (W^l: (K, n_l, n_{l-1}), x: (K, n_1, N)), `@` maps over it, `.mT` is the
transpose of each case's matrix, and the loss is one number per case.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reference import _checks
from reference._types import Array
from reference.activations import ACTIVATIONS, Activation
from reference.losses import LOSSES, Loss


@dataclass(frozen=True)
class Gradients:
    """Everything backpropagation computes for one batch.

    `deltas[l-2]` is δ^l = ∂C/∂z^l, `weights[l-2]` is ∂C/∂W^l and `biases[l-2]` is
    ∂C/∂b^l, for l = 2..L.
    """

    loss: float | Array
    """C; for a stack, an array of one C per case."""
    deltas: list[Array]
    weights: list[Array]
    biases: list[Array]


class Network:
    """A fully connected network: z^l = W^l a^{l-1} + b^l, a^l = σ(z^l)."""

    def __init__(
        self,
        weights: Sequence[Array],
        biases: Sequence[Array],
        *,
        activation: str = "sigmoid",
        output_activation: str | None = None,
        loss: str = "quadratic",
    ) -> None:
        self.activation: Activation = _checks.lookup("activation", activation, ACTIVATIONS)
        self.output_activation: Activation = (
            self.activation if output_activation is None else _checks.lookup("output_activation", output_activation, ACTIVATIONS)
        )
        self.loss: Loss = _checks.lookup("loss", loss, LOSSES)
        if not self.activation.elementwise:
            raise ValueError(
                f"activation {activation!r} is not element-wise (BP2 multiplies by σ'(z^l) element by "
                "element): it can only be an output_activation"
            )
        if self.loss.output is not None and self.output_activation.name != self.loss.output:
            raise ValueError(f"loss {loss!r} needs output_activation {self.loss.output!r}, got {self.output_activation.name!r}")
        self.weights, self.biases = _checked_parameters(weights, biases)

    @classmethod
    def random(
        cls,
        sizes: Sequence[int],
        *,
        seed: int | np.random.Generator,
        activation: str = "sigmoid",
        output_activation: str | None = None,
        loss: str = "quadratic",
        dtype: type | np.dtype = np.float64,
    ) -> Network:
        """Weights and biases drawn from N(0, 1); `sizes` is (n_1, ..., n_L)."""
        rng = _generator(seed)
        sizes = _checked_sizes(sizes)
        dtype = np.dtype(dtype)
        if dtype not in _checks.FLOAT_DTYPES:
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        weights = [rng.standard_normal((m, n)).astype(dtype) for n, m in itertools.pairwise(sizes)]
        biases = [rng.standard_normal((m, 1)).astype(dtype) for m in sizes[1:]]
        return cls(
            weights,
            biases,
            activation=activation,
            output_activation=output_activation,
            loss=loss,
        )

    @property
    def sizes(self) -> tuple[int, ...]:
        """(n_1, ..., n_L)."""
        return (self.weights[0].shape[-1], *(W.shape[-2] for W in self.weights))

    @property
    def stack(self) -> tuple[int, ...]:
        """The leading axes of a stack of networks ((K,)), or () for one network."""
        return self.weights[0].shape[:-2]

    @property
    def dtype(self) -> np.dtype:
        return self.weights[0].dtype

    @property
    def L(self) -> int:
        """Number of layers, input layer included."""
        return len(self.weights) + 1

    def forward(self, x: Array) -> tuple[list[Array], list[Array]]:
        """z^l = W^l a^{l-1} + b^l and a^l = σ(z^l) for l = 2..L; a^1 = x of shape (n_1, N)."""
        self.check_input(x)
        zs: list[Array] = []
        activations: list[Array] = [x]
        for l in range(2, self.L + 1):
            W, b = self.weights[l - 2], self.biases[l - 2]
            z = W @ activations[-1]
            z += b  # z = W a + b, without a second (n_l, N) array
            zs.append(z)
            activations.append(self.sigma(l).function(z))
        return zs, activations

    def backward(self, x: Array, y: Array, *, out: Gradients | None = None) -> Gradients:
        """BP1-BP4 for the batch (x, y); y has shape (n_L, N).

        BP1  δ^L = ∇_a C ⊙ σ'(z^L)       (softmax: δ^L = J(z^L)ᵀ ∇_a C)
        BP2  δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
        BP3  ∂C/∂b^l = Σ_x δ^l
        BP4  ∂C/∂W^l = δ^l (a^{l-1})ᵀ

        `out`, as NumPy's out=: the Gradients of an earlier call with the same shapes, whose
        δ, ∂C/∂W and ∂C/∂b arrays this call overwrites and returns (with the new loss). A loop
        that passes its last gradients allocates no new gradient arrays: glibc hands large
        freed blocks back to the kernel, and a loop of fresh ones faults every page back in.
        """
        self.check_batch(x, y)
        if out is not None:
            self.check_out(out, x, y)
        zs, activations = self.forward(x)
        L = self.L
        a_L = activations[L - 1]
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, by name
            loss = self.loss.cost(a_L, y)

        deltas: list[Array] = [np.empty(0)] * (L - 1)
        delta = self._bp1(self.loss.gradient(a_L, y), zs[L - 2], a_L, out=_into(out, "deltas", L))
        deltas[L - 2] = delta
        for l in range(L - 1, 1, -1):
            W_next = self.weights[l - 1]  # W^{l+1}
            sigma_prime = self.sigma(l).derivative(zs[l - 2], activations[l - 1])
            delta = np.matmul(W_next.mT, delta, out=_into(out, "deltas", l))
            delta *= sigma_prime  # BP2: (W^{l+1})ᵀ δ^{l+1} ⊙ σ'(z^l)
            deltas[l - 2] = delta

        # BP3: Σ over the samples; BP4: δ^l (a^{l-1})ᵀ
        biases = [np.sum(deltas[l - 2], axis=-1, keepdims=True, out=_into(out, "biases", l)) for l in range(2, L + 1)]
        weights = [np.matmul(deltas[l - 2], activations[l - 2].mT, out=_into(out, "weights", l)) for l in range(2, L + 1)]
        gradients = Gradients(loss=loss, deltas=deltas, weights=weights, biases=biases)
        _checks.finite_result(gradients, self.dtype, wrote_into_out=out is not None)
        return gradients

    def step(self, gradients: Gradients, learning_rate: float) -> None:
        """W^l ← W^l − η ∂C/∂W^l and b^l ← b^l − η ∂C/∂b^l, in place."""
        eta = _checks.positive_number("learning_rate", learning_rate)
        self._check_gradients(gradients)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, before any change
            new = [
                (W - eta * dW, b - eta * db)
                for W, b, dW, db in zip(self.weights, self.biases, gradients.weights, gradients.biases)
            ]
        for l, (W, b) in enumerate(new, start=2):
            if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
                raise FloatingPointError(
                    f"the update W^{l} − η ∂C/∂W^{l} overflowed {self.dtype} with learning_rate {learning_rate}; "
                    "the parameters are unchanged (take a smaller learning rate)"
                )
        for (W, b), (W_new, b_new) in zip(zip(self.weights, self.biases), new):
            W[...] = W_new
            b[...] = b_new

    def copy(self) -> Network:
        """An independent network with the same parameters, activations and loss."""
        return Network(
            self.weights,
            self.biases,
            activation=self.activation.name,
            output_activation=self.output_activation.name,
            loss=self.loss.name,
        )

    def __repr__(self) -> str:
        return (
            f"Network(sizes={self.sizes}, activation={self.activation.name!r}, "
            f"output_activation={self.output_activation.name!r}, loss={self.loss.name!r}, "
            f"dtype={self.dtype})"
        )

    def _bp1(self, grad_a: Array, z_L: Array, a_L: Array, out: Array | None = None) -> Array:
        """BP1: δ^L = ∇_a C ⊙ σ'(z^L), or δ^L = J(z^L)ᵀ ∇_a C when σ is not element-wise."""
        sigma = self.output_activation
        if sigma.elementwise:
            return np.multiply(grad_a, sigma.derivative(z_L, a_L), out=out)
        J = sigma.derivative(z_L, a_L)  # (N, n, n): J[x, j, k] = ∂a_j/∂z_k
        return np.einsum("...xjk,...jx->...kx", J, grad_a, out=out)

    # --- helpers (public: a subclass, such as a negative control, calls them) ---------
    def sigma(self, l: int) -> Activation:
        """σ of layer l (l = 2..L): the output activation at L, the hidden one below."""
        return self.output_activation if l == self.L else self.activation

    def check_input(self, x: Array) -> None:
        """x as `forward` takes it, or a TypeError/ValueError naming x."""
        _checks.float_matrix("x", x, self.stack)
        _checks.same_dtype("x", x, self.dtype)
        n_1 = self.sizes[0]
        if x.shape[-2] != n_1:
            raise ValueError(f"x must have shape ({n_1}, N) (n_1 rows, one column per sample), got {x.shape}")

    def check_batch(self, x: Array, y: Array) -> None:
        """x and y as `backward` takes them, or a TypeError/ValueError naming the argument."""
        self.check_input(x)
        _checks.float_matrix("y", y, self.stack)
        _checks.same_dtype("y", y, self.dtype)
        _checks.shape("y", y, (*self.stack, self.sizes[-1], x.shape[-1]), "n_L rows, one column per sample of x")
        self.loss.check_targets(y)

    def check_out(self, out: Gradients, x: Array, y: Array) -> None:
        """An `out` for backward: gradients of this network's shapes for x's batch, every array its own."""
        self._check_gradients(out, x.shape[-1])
        _checks.no_shared_memory(
            [(f"out.{q}[{i}]", g) for q in ("deltas", "weights", "biases") for i, g in enumerate(getattr(out, q))],
            [("x", x), ("y", y), *((f"weights[{i}]", W) for i, W in enumerate(self.weights))]
            + [(f"biases[{i}]", b) for i, b in enumerate(self.biases)],
        )

    def _check_gradients(self, gradients: Gradients, N: int | None = None) -> None:
        """Gradients of this network's shapes (and, given the batch size N, δ^l of shape (n_l, N):
        the `out` of backward, whose arrays are written into, not read)."""
        name = "gradients" if N is None else "out"
        if not isinstance(gradients, Gradients):
            raise TypeError(f"{name} must be a Gradients, got {type(gradients).__name__}")
        expected = [
            ("weights", [W.shape for W in self.weights], "as the parameter of layer {l}"),
            ("biases", [b.shape for b in self.biases], "as the parameter of layer {l}"),
        ]
        if N is not None:
            expected.append(("deltas", [(*self.stack, n, N) for n in self.sizes[1:]], "n_{l} rows, one column per sample of x"))
        for quantity, shapes, meaning in expected:
            got = getattr(gradients, quantity)
            if len(got) != len(shapes):
                raise ValueError(f"{name}.{quantity} must have {len(shapes)} entries, got {len(got)}")
            for l, (g, want) in enumerate(zip(got, shapes), start=2):
                label = f"{name}.{quantity}[{l - 2}]"
                if N is None:
                    _checks.float_matrix(label, g, self.stack)
                else:  # written into: its values do not matter, but it must be an array of its own
                    _checks.writable_matrix(label, g, self.stack)
                _checks.same_dtype(label, g, self.dtype)
                _checks.shape(label, g, want, meaning.format(l=l))


def _into(out: Gradients | None, quantity: str, l: int) -> Array | None:
    """The array of layer l in `out` that backward writes into, or None (a new array)."""
    return None if out is None else getattr(out, quantity)[l - 2]


def _checked_parameters(weights: Sequence[Array], biases: Sequence[Array]) -> tuple[list[Array], list[Array]]:
    """Validate that the parameters chain and share one float dtype; return copies."""
    if not isinstance(weights, Sequence) or isinstance(weights, np.ndarray) or len(weights) == 0:
        raise ValueError("weights must be a non-empty list of matrices W^2..W^L")
    if not isinstance(biases, Sequence) or isinstance(biases, np.ndarray):
        raise ValueError("biases must be a list of column vectors b^2..b^L")
    if len(biases) != len(weights):
        raise ValueError(f"biases must have one entry per weight matrix ({len(weights)}), got {len(biases)}")
    # A stack of networks: every array has the same leading axes as weights[0]'s.
    stack = weights[0].shape[:-2] if isinstance(weights[0], np.ndarray) else ()
    for i, (W, b) in enumerate(zip(weights, biases)):
        _checks.float_matrix(f"weights[{i}]", W, stack)
        _checks.float_matrix(f"biases[{i}]", b, stack)
        _checks.same_dtype(f"weights[{i}]", W, weights[0].dtype)
        _checks.same_dtype(f"biases[{i}]", b, weights[0].dtype)
        _checks.shape(f"biases[{i}]", b, (*stack, W.shape[-2], 1), f"a column, one entry per row of weights[{i}]")
        if i > 0 and W.shape[-1] != weights[i - 1].shape[-2]:
            raise ValueError(
                f"weights[{i}] must have {weights[i - 1].shape[-2]} columns to chain with "
                f"weights[{i - 1}] of shape {weights[i - 1].shape}, got shape {W.shape}"
            )
    return [np.array(W) for W in weights], [np.array(b) for b in biases]


def _checked_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths (n_1, ..., n_L), got {sizes!r}")
    return tuple(_checks.positive_int(f"sizes[{i}]", n) for i, n in enumerate(sizes))


def _generator(seed: int | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.default_rng(seed)
