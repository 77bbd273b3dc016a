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


def bucket(n: int, sizes: tuple[int, ...] | None = None) -> int:
    """The padded size for a width or batch size n (from `BUCKETS`), or a depth (`sizes=DEPTHS`)."""
    for size in BUCKETS if sizes is None else sizes:
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
    sizes, dtype = network.sizes, network.dtype
    arrays, skip = _padded_case(network, x, y)
    with _frameworks.jax_precision(dtype):
        (Ws, bs), loss = jax.device_get(_compiled("step")(*arrays, dtype.type(learning_rate)))
    parameters = (
        [np.array(W[:n, :m], dtype=dtype) for W, n, m in zip(Ws[skip:], sizes[1:], sizes)],
        [np.array(b[:n], dtype=dtype) for b, n in zip(bs[skip:], sizes[1:])],
    )
    return parameters, float(loss)


def padded(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    hidden: str,
    output: str,
    loss: str,
) -> tuple[tuple[np.ndarray, ...], int]:
    """The compiled functions' arguments (Ws, bs, x, y, mask, choice) for one case, or for
    K cases of one structure stacked on a leading axis, and the number of identity
    layers in front. Ws is (..., depth, width, width), bs (..., depth, width, 1), x and
    y (..., width, batch); mask and choice are shared."""
    sizes = (weights[0].shape[-1], *(W.shape[-2] for W in weights))
    N, depth, dtype, lead = x.shape[-1], len(weights), x.dtype, x.shape[:-2]
    width, batch = bucket(max(sizes)), bucket(N)
    padded_depth = bucket(depth, DEPTHS)
    skip = padded_depth - depth
    Ws = np.zeros((*lead, padded_depth, width, width), dtype)
    Ws[..., :skip, :, :] = np.eye(width, dtype=dtype)
    bs = np.zeros((*lead, padded_depth, width, 1), dtype)
    for i, (W, b) in enumerate(zip(weights, biases), start=skip):
        Ws[..., i, : W.shape[-2], : W.shape[-1]] = W
        bs[..., i, : b.shape[-2], :] = b
    xs = np.zeros((*lead, width, batch), dtype)
    xs[..., : sizes[0], :N] = x
    ys = np.zeros((*lead, width, batch), dtype)
    ys[..., : sizes[-1], :N] = y
    mask = np.zeros((width, batch), dtype)
    mask[: sizes[-1], :N] = 1
    activations, losses = catalogue()
    layers = [activations.index("identity")] * skip + [activations.index(counterparts.activation(hidden).name)] * (depth - 1)
    layers.append(activations.index(counterparts.activation(output).name))
    choice = np.array([*layers, losses.index(counterparts.loss(loss).name)], dtype=np.int32)
    return (Ws, bs, xs, ys, mask, choice), skip


def _padded_case(network: Network, x: np.ndarray, y: np.ndarray) -> tuple[tuple[np.ndarray, ...], int]:
    names = (network.activation.name, network.output_activation.name, network.loss.name)
    return padded(network.weights, network.biases, x, y, *names)


def _gradients(network: Network, x: np.ndarray, y: np.ndarray, mode: str) -> Gradients:
    sizes, N, dtype = network.sizes, x.shape[1], network.dtype
    arrays, skip = _padded_case(network, x, y)
    with _frameworks.jax_precision(dtype):
        flat = np.asarray(_compiled(mode)(*arrays))
    loss, dWs, dbs, deltas = unpack(flat, arrays[0].shape[-3], arrays[0].shape[-2], arrays[2].shape[-1])
    rows = sizes[1:]
    return Gradients(
        loss=float(loss),
        deltas=[np.array(d[:n, :N], dtype=dtype) for d, n in zip(deltas[skip:], rows)],
        weights=[np.array(dW[:n, :m], dtype=dtype) for dW, n, m in zip(dWs[skip:], rows, sizes)],
        biases=[np.array(db[:n], dtype=dtype) for db, n in zip(dbs[skip:], rows)],
    )


def catalogue() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The counterparts' activation and loss names, in the order `choice` indexes them."""
    return tuple(counterparts.ACTIVATIONS), tuple(counterparts.LOSSES)


def cost_function(activations: tuple[str, ...], losses: tuple[str, ...]) -> Any:
    """C(Ws, bs, eps, x, y, mask, choice) for the padded arrays of `padded`: each layer's
    activation and the loss picked from the catalogue by `choice` with lax.switch."""
    jax = _frameworks.jax()
    switch = jax.lax.switch
    sigmas = [counterparts.ACTIVATIONS[name].jax for name in activations]
    costs = [counterparts.LOSSES[name].jax for name in losses]

    def C(Ws: Any, bs: Any, eps: Any, x: Any, y: Any, mask: Any, choice: Any) -> Any:
        rows = jax.numpy.any(mask > 0, axis=1, keepdims=True)  # the real output neurons
        branches = [lambda z, f=f: f(z, rows) for f in sigmas]

        def layer(a: Any, params: Any) -> tuple[Any, None]:
            W, b, e, k = params
            return switch(k, branches, W @ a + b + e), None

        # One traced layer for every depth (tracing the switch is the slow part of a
        # compilation), unrolled in the compiled code (a loop would be slower to run).
        a, _ = jax.lax.scan(layer, x, (Ws, bs, eps, choice[:-1]), unroll=True)
        return switch(choice[-1], [lambda a, f=f: f(a, y, mask) for f in costs], a)

    return C


def with_deltas(activations: tuple[str, ...], losses: tuple[str, ...], mode: str) -> Any:
    """(Ws, bs, x, y, mask, choice) -> (C, (∂C/∂Ws, ∂C/∂bs, δ)) by reverse ("reverse") or
    forward ("forward") mode; δ^l is the gradient with respect to a zero perturbation of z^l."""
    jax = _frameworks.jax()
    C = cost_function(activations, losses)

    def gradients(Ws: Any, bs: Any, x: Any, y: Any, mask: Any, choice: Any) -> Any:
        args = (Ws, bs, _zero_perturbations(Ws, x), x, y, mask, choice)
        if mode == "reverse":
            loss, (dWs, dbs, deltas) = jax.value_and_grad(C, argnums=(0, 1, 2))(*args)
        else:
            loss, (dWs, dbs, deltas) = C(*args), jax.jacfwd(C, argnums=(0, 1, 2))(*args)
        # One flat array: a single transfer back to NumPy (see `unpack`).
        return jax.numpy.concatenate([jax.numpy.reshape(loss, (1,)), dWs.ravel(), dbs.ravel(), deltas.ravel()])

    return gradients


def unpack(flat: np.ndarray, depth: int, width: int, batch: int) -> tuple[np.ndarray, ...]:
    """`with_deltas`'s flat result (..., 1 + depth·width·(width + 1 + batch)) as C (...),
    ∂C/∂Ws (..., depth, width, width), ∂C/∂bs (..., depth, width, 1), δ (..., depth, width, batch)."""
    lead = flat.shape[:-1]
    ends = np.cumsum([1, depth * width * width, depth * width, depth * width * batch])
    return (
        flat[..., 0],
        flat[..., ends[0] : ends[1]].reshape(*lead, depth, width, width),
        flat[..., ends[1] : ends[2]].reshape(*lead, depth, width, 1),
        flat[..., ends[2] : ends[3]].reshape(*lead, depth, width, batch),
    )


def _zero_perturbations(Ws: Any, x: Any) -> Any:
    """ε^l = 0 for every layer: (depth, width, batch)."""
    return _frameworks.jax().numpy.zeros((Ws.shape[0], Ws.shape[1], x.shape[1]), x.dtype)


def _compiled(mode: str) -> Any:
    """One jitted function per mode ("reverse", "forward", "step") for the whole
    catalogue as it is now (an entry added later gets a function of its own); jit
    compiles it once per (bucket, dtype) it sees."""
    return _jitted(*catalogue(), mode)


@functools.cache
def _jitted(activations: tuple[str, ...], losses: tuple[str, ...], mode: str) -> Any:
    jax = _frameworks.jax()
    if mode != "step":
        return jax.jit(with_deltas(activations, losses, mode))
    C = cost_function(activations, losses)

    def step(Ws: Any, bs: Any, x: Any, y: Any, mask: Any, choice: Any, eta: Any) -> Any:
        loss, grads = jax.value_and_grad(C, argnums=(0, 1))(Ws, bs, _zero_perturbations(Ws, x), x, y, mask, choice)
        return jax.tree_util.tree_map(lambda p, g: p - eta * g, (Ws, bs), grads), loss

    return jax.jit(step)
