"""Oracles: `jax.grad` (reverse mode) and `jax.jacfwd` (forward mode).

δ^l is the gradient of C with respect to a zero perturbation ε^l added to z^l:
z^l = W^l a^{l-1} + b^l + ε^l, so ∂C/∂ε^l at ε = 0 is ∂C/∂z^l.

**Shapes are bucketed.** `jax.jit` compiles once per input shape (0.1-0.3 s, more for
the whole catalogue), which would make a property test with random shapes run at a
few cases per second. Every case is therefore padded to a bucket:

* width and batch: to a square width and a batch size from `BUCKETS` (8, 16, 32, ...),
  with zeros; the cost is masked to the real outputs and samples. Padded neurons feed
  the next layer only through zero weights and padded samples carry zero cost, so they
  add exact zeros to every real entry.
* depth: to a depth from `DEPTHS` (5, 10, 20, 40), by identity layers placed *before*
  the real first layer: W = I, b = 0, σ = identity, which pass x through exactly
  (each z_j is x_j plus exact zeros).
* the activations and the loss: picked at run time with `lax.switch` on an index per
  layer, so only the chosen branch runs.

The real entries are sliced out of the result; the padding never leaks into it (a test
compares two bucket sizes). One compilation per (bucket, dtype, mode) then serves every
case of the default ranges: six in all.

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
DEPTHS = (5, 10, 20, 40)


def jax_gradients(network: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """Loss, δ^l, ∂C/∂W^l, ∂C/∂b^l from `jax.value_and_grad` (reverse mode)."""
    return _gradients(network, x, y, "reverse")


def jax_forward_gradients(network: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """The same quantities from `jax.jacfwd` (forward mode), independent of reverse mode."""
    return _gradients(network, x, y, "forward")


def bucket(n: int, sizes: tuple[int, ...] = BUCKETS) -> int:
    """The padded size for a width, batch size or depth n."""
    for size in sizes:
        if n <= size:
            return size
    return n


def jax_sgd_step(
    network: Network, x: np.ndarray, y: np.ndarray, learning_rate: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One step W ← W − η ∂C/∂W, b ← b − η ∂C/∂b, with `jax.grad` and `jax.tree_util`."""
    return jax_sgd_step_with_loss(network, x, y, learning_rate)[0]


def jax_sgd_step_with_loss(
    network: Network, x: np.ndarray, y: np.ndarray, learning_rate: float
) -> tuple[tuple[list[np.ndarray], list[np.ndarray]], float]:
    """`jax_sgd_step`, and the cost C before the step, from the same JAX call."""
    jax = _frameworks.jax()
    sizes, skip = network.sizes, _skipped(network)
    with _frameworks.jax_precision(network.dtype):
        new, loss = jax.device_get(_run(network, x, y, "step", network.dtype.type(learning_rate)))
    dtype = network.dtype
    parameters = (
        [np.array(W[:n, :m], dtype=dtype) for (W, _), n, m in zip(new[skip:], sizes[1:], sizes)],
        [np.array(b[:n], dtype=dtype) for (_, b), n in zip(new[skip:], sizes[1:])],
    )
    return parameters, float(loss)


def _skipped(network: Network) -> int:
    """How many identity layers pad the network to its depth bucket."""
    depth = len(network.weights)
    return bucket(depth, DEPTHS) - depth


def _run(network: Network, x: np.ndarray, y: np.ndarray, mode: str, *extra: Any) -> Any:
    """Pad the case to its buckets and call the compiled function for `mode`."""
    sizes, N, skip = network.sizes, x.shape[1], _skipped(network)
    width, batch = bucket(max(sizes)), bucket(N)
    dtype = network.dtype
    identity = (np.eye(width, dtype=dtype), np.zeros((width, 1), dtype))
    params = [identity] * skip + [(_pad(W, width, width), _pad(b, width, 1)) for W, b in zip(network.weights, network.biases)]
    eps = [np.zeros((width, batch), dtype) for _ in params]
    mask = np.zeros((width, batch), dtype)
    mask[: sizes[-1], :N] = 1
    activations, losses = tuple(counterparts.ACTIVATIONS), tuple(counterparts.LOSSES)
    hidden = activations.index(counterparts.activation(network.activation.name).name)
    layers = [activations.index("identity")] * skip + [hidden] * (len(network.weights) - 1)
    layers.append(activations.index(counterparts.activation(network.output_activation.name).name))
    choice = np.array([*layers, losses.index(counterparts.loss(network.loss.name).name)], dtype=np.int32)
    function = _compiled(activations, losses, mode)
    return function(params, eps, _pad(x, width, batch), _pad(y, width, batch), mask, choice, *extra)


def _gradients(network: Network, x: np.ndarray, y: np.ndarray, mode: str) -> Gradients:
    jax = _frameworks.jax()
    sizes, N, skip = network.sizes, x.shape[1], _skipped(network)
    dtype = network.dtype
    with _frameworks.jax_precision(dtype):
        loss, (d_params, d_eps) = jax.device_get(_run(network, x, y, mode))
    rows = sizes[1:]
    d_params, d_eps = d_params[skip:], d_eps[skip:]
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


@functools.cache
def _compiled(activations: tuple[str, ...], losses: tuple[str, ...], mode: str) -> Any:
    """One jitted function per mode for the whole catalogue: `choice` holds each layer's
    activation index, then the loss's; jit compiles once per (bucket, dtype) it sees."""
    jax = _frameworks.jax()
    switch = jax.lax.switch
    sigmas = [counterparts.ACTIVATIONS[name].jax for name in activations]
    costs = [counterparts.LOSSES[name].jax for name in losses]

    def C(params: Any, eps: Any, x: Any, y: Any, mask: Any, choice: Any) -> Any:
        rows = jax.numpy.any(mask > 0, axis=1, keepdims=True)  # the real output neurons
        a = x
        for i, ((W, b), e) in enumerate(zip(params, eps)):
            a = switch(choice[i], [lambda z, f=f: f(z, rows) for f in sigmas], W @ a + b + e)
        return switch(choice[-1], [lambda a, f=f: f(a, y, mask) for f in costs], a)

    if mode == "reverse":
        return jax.jit(jax.value_and_grad(C, argnums=(0, 1)))
    if mode == "step":

        def step(params: Any, eps: Any, x: Any, y: Any, mask: Any, choice: Any, eta: Any) -> Any:
            loss, grads = jax.value_and_grad(C)(params, eps, x, y, mask, choice)
            return jax.tree_util.tree_map(lambda p, g: p - eta * g, params, grads), loss

        return jax.jit(step)

    def value_and_forward_grad(*args: Any) -> Any:
        return C(*args), jax.jacfwd(C, argnums=(0, 1))(*args)

    return jax.jit(value_and_forward_grad)
