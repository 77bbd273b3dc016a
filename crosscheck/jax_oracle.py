"""Oracles: `jax.grad` (reverse mode) and `jax.jacfwd` (forward mode).

δ^l is the gradient of C with respect to a zero perturbation ε^l added to z^l:
z^l = W^l a^{l-1} + b^l + ε^l, so ∂C/∂ε^l at ε = 0 is ∂C/∂z^l.

**Shapes are bucketed.** `jax.jit` compiles once per input shape (0.1-0.3 s), which
would make a property test with random shapes run at a few cases per second. Every
case is therefore padded to a square width and a batch size from a short list of
buckets (8, 16, 32, ...): parameters, inputs and targets are padded with zeros and
the cost is masked to the real outputs and samples. Padded neurons feed the next
layer only through zero weights and padded samples carry zero cost, so they add
exact zeros to every real entry; the real entries are sliced out of the result and
the padding never leaks into it. One compilation then serves every case of the same
depth and dtype: the activations and the loss are picked at run time (`lax.switch`).

float64 runs inside JAX's `enable_x64` context (see `crosscheck._frameworks`), so the
user's global JAX configuration is left as it is.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from crosscheck import _frameworks, counterparts
from reference import Gradients, Network

BUCKETS = (8, 16, 32, 64, 128, 256, 512, 1024)


def jax_gradients(network: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """Loss, δ^l, ∂C/∂W^l, ∂C/∂b^l from `jax.value_and_grad` (reverse mode)."""
    return _gradients(network, x, y, "reverse")


def jax_forward_gradients(network: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """The same quantities from `jax.jacfwd` (forward mode), independent of reverse mode."""
    return _gradients(network, x, y, "forward")


def bucket(n: int) -> int:
    """The padded size for a width or batch size n."""
    for size in BUCKETS:
        if n <= size:
            return size
    return n


def _gradients(network: Network, x: np.ndarray, y: np.ndarray, mode: str) -> Gradients:
    jax = _frameworks.jax()
    sizes, N, depth = network.sizes, x.shape[1], len(network.weights)
    width, batch = bucket(max(sizes)), bucket(N)
    dtype = network.dtype

    params = [(_pad(W, width, width), _pad(b, width, 1)) for W, b in zip(network.weights, network.biases)]
    eps = [np.zeros((width, batch), dtype) for _ in range(depth)]
    x_p, y_p = _pad(x, width, batch), _pad(y, width, batch)
    mask = np.zeros((width, batch), dtype)
    mask[: sizes[-1], :N] = 1

    activations, losses = tuple(counterparts.ACTIVATIONS), tuple(counterparts.LOSSES)
    function = _compiled(activations, losses, mode)
    choice = np.array(
        [
            _index(activations, counterparts.activation(network.activation.name).name),
            _index(activations, counterparts.activation(network.output_activation.name).name),
            _index(losses, counterparts.loss(network.loss.name).name),
        ],
        dtype=np.int32,
    )
    with _frameworks.jax_precision(dtype):
        loss, (d_params, d_eps) = jax.device_get(function(params, eps, x_p, y_p, mask, choice))

    rows = sizes[1:]
    return Gradients(
        loss=float(loss),
        deltas=[np.array(d[:n, :N], dtype=dtype) for d, n in zip(d_eps, rows)],
        weights=[np.array(dW[:n, :m], dtype=dtype) for (dW, _), n, m in zip(d_params, rows, sizes)],
        biases=[np.array(db[:n], dtype=dtype) for (_, db), n in zip(d_params, rows)],
    )


def _pad(array: np.ndarray, rows: int, columns: int) -> np.ndarray:
    out = np.zeros((rows, columns), array.dtype)
    out[: array.shape[0], : array.shape[1]] = array
    return out


def _index(names: tuple[str, ...], name: str) -> int:
    return names.index(name)


@functools.cache
def _compiled(activations: tuple[str, ...], losses: tuple[str, ...], mode: str) -> Any:
    """One jitted (C, (∂C/∂params, ∂C/∂ε)) function per mode for the whole catalogue.

    The activations and the loss are chosen at run time by `lax.switch` on an index
    (`choice` = hidden, output, loss), so jit compiles once per (depth, bucket, dtype)
    instead of once per combination as well: only the chosen branch runs.
    """
    jax = _frameworks.jax()
    switch = jax.lax.switch
    sigmas = [counterparts.ACTIVATIONS[name].jax for name in activations]
    costs = [counterparts.LOSSES[name].jax for name in losses]

    def C(params: Any, eps: Any, x: Any, y: Any, mask: Any, choice: Any) -> Any:
        rows = jax.numpy.any(mask > 0, axis=1, keepdims=True)  # the real output neurons
        a = x
        for i, ((W, b), e) in enumerate(zip(params, eps)):
            z = W @ a + b + e
            if i == len(params) - 1:
                a = switch(choice[1], [lambda z, f=f: f(z, rows) for f in sigmas], z)
            else:
                a = switch(choice[0], [lambda z, f=f: f(z, None) for f in sigmas], z)
        return switch(choice[2], [lambda a, f=f: f(a, y, mask) for f in costs], a)

    if mode == "reverse":
        return jax.jit(jax.value_and_grad(C, argnums=(0, 1)))

    def value_and_forward_grad(*args: Any) -> Any:
        return C(*args), jax.jacfwd(C, argnums=(0, 1))(*args)

    return jax.jit(value_and_forward_grad)
