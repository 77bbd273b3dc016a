"""Oracles: `jax.value_and_grad` (reverse mode) and `jax.jacfwd` (forward mode).

δ^l is the gradient of C with respect to a zero perturbation ε^l added to z^l:
z^l = W^l a^{l-1} + b^l + ε^l, so ∂C/∂ε^l at ε = 0 is ∂C/∂z^l.

**One compiled function serves every case.** `jax.jit` compiles once per input shape,
and a property test draws random shapes. So every stack is padded to a bucket and the
single-case computation runs under `jax.vmap`, a fixed number of cases per call:

* width and batch: to a square width and a batch size from `BUCKETS`, with zeros; the
  cost is masked, per case, to its real outputs and samples. Padded neurons feed the
  next layer only through zero weights and padded samples carry zero cost, so they add
  exact zeros to every real entry.
* depth: to a depth from `DEPTHS`, by identity layers placed *before* the real first
  layer: W = I, b = 0, σ = identity, which pass x through exactly.
* the activations and the loss: picked at run time with `lax.switch` on an index per
  layer, so only the chosen branch runs.
* cases: `CHUNK[mode]` per call (one for a stack of one); a short last chunk is filled
  with copies of its last case, so every call of a mode shares one compiled program.

The real entries are sliced out of the result; the padding never leaks into it (a test
compares two bucket sizes). float64 runs inside JAX's `enable_x64` context (see
`crosscheck.frameworks`), so the user's global JAX configuration is left as it is.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from crosscheck import counterparts, frameworks
from crosscheck.case import Case, Parameters, Stack
from reference import Gradients

BUCKETS = (8, 16, 32, 64, 128, 256, 512, 1024)
DEPTHS = (5, 10, 20, 40)
CHUNK = {"reverse": 32, "forward": 4}
"""Cases per `jax.vmap` call, per mode. Reverse mode costs little more for 32 cases than
for one; forward mode costs about one pass per case however many are mapped together,
so its chunks are short, to waste little on the filling."""


def bucket(n: int, sizes: tuple[int, ...] | None = None) -> int:
    """The padded size for a width or batch size n (from `BUCKETS`), or a depth (`sizes=DEPTHS`)."""
    for size in BUCKETS if sizes is None else sizes:
        if n <= size:
            return size
    return n


FOCUS: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
"""The names of the check at hand, when it uses only these (`crosscheck.oracles.focused`): the compiled
programs then switch over them alone, which traces and compiles in a fraction of the whole catalogue's time."""


def catalogue(stack: Stack | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The activation and loss names, in the order `choice` indexes them: the focus's, when `stack` uses only
    those; else the counterparts' (the whole catalogue, one program for every cell)."""
    if FOCUS and stack is not None:
        activations, losses = FOCUS[-1]
        used = {counterparts.activation(name).name for name in stack.names[:2]}
        if used <= set(activations) and counterparts.loss(stack.loss, stack.clip).name in losses:
            return FOCUS[-1]
    return tuple(counterparts.ACTIVATIONS), (*counterparts.LOSSES, *counterparts.CLIPPED)


def padded(stack: Stack) -> tuple[tuple[np.ndarray, ...], int]:
    """The compiled functions' arguments (Ws, bs, x, y, mask, choice) for a stack, and the
    number of identity layers in front. Ws is (K, depth, width, width), bs (K, depth,
    width, 1), x, y and mask (K, width, batch); `choice` (the activation of each layer
    and the loss) is shared."""
    depth, N, dtype, K = len(stack.weights), stack.N, stack.dtype, stack.K
    width, batch = bucket(int(stack.sizes.max())), bucket(N)
    padded_depth = bucket(depth, DEPTHS)
    skip = padded_depth - depth
    Ws = np.zeros((K, padded_depth, width, width), dtype)
    Ws[:, :skip] = np.eye(width, dtype=dtype)
    bs = np.zeros((K, padded_depth, width, 1), dtype)
    for i, (W, b) in enumerate(zip(stack.weights, stack.biases), start=skip):
        Ws[:, i, : W.shape[1], : W.shape[2]] = W
        bs[:, i, : b.shape[1]] = b
    xs = np.zeros((K, width, batch), dtype)
    xs[:, : stack.x.shape[1], :N] = stack.x
    ys = np.zeros((K, width, batch), dtype)
    ys[:, : stack.y.shape[1], :N] = stack.y
    rows = np.arange(width)[None, :, None] < stack.sizes[:, -1, None, None]
    mask = (rows & (np.arange(batch)[None, None, :] < N)).astype(dtype)
    activations, losses = catalogue(stack)
    hidden, output = (activations.index(counterparts.activation(name).name) for name in stack.names[:2])
    layers = [activations.index("identity")] * skip + [hidden] * (depth - 1) + [output]
    choice = np.array([*layers, losses.index(counterparts.loss(stack.loss, stack.clip).name)], dtype=np.int32)
    return (Ws, bs, xs, ys, mask, choice), skip


def cost_function(activations: tuple[str, ...], losses: tuple[str, ...]) -> Any:
    """C(Ws, bs, eps, x, y, mask, choice) for one padded case: each layer's activation and
    the loss picked from the catalogue by `choice` with lax.switch. The forward pass."""
    jax = frameworks.jax()
    switch = jax.lax.switch
    sigmas = [counterparts.ACTIVATIONS[name].jax for name in activations]
    costs = [counterparts.loss(name).jax for name in losses]

    def C(Ws: Any, bs: Any, eps: Any, x: Any, y: Any, mask: Any, choice: Any) -> Any:  # noqa: PLR0917 (jit and grad take positional arguments)
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


def _zero_perturbations(Ws: Any, x: Any) -> Any:
    """ε^l = 0 for every layer: (depth, width, batch)."""
    return frameworks.jax().numpy.zeros((Ws.shape[0], Ws.shape[1], x.shape[1]), x.dtype)


def with_deltas(activations: tuple[str, ...], losses: tuple[str, ...], mode: str) -> Any:
    """(Ws, bs, x, y, mask, choice) -> one flat array [C, ∂C/∂Ws, ∂C/∂bs, δ] by reverse
    ("reverse") or forward ("forward") mode, for one padded case."""
    jax = frameworks.jax()
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
    """`with_deltas`'s flat result (K, 1 + depth·width·(width + 1 + batch)) as C (K,),
    ∂C/∂Ws (K, depth, width, width), ∂C/∂bs (K, depth, width, 1), δ (K, depth, width, batch)."""
    K = flat.shape[0]
    ends = np.cumsum([1, depth * width * width, depth * width, depth * width * batch])
    return (
        flat[:, 0],
        flat[:, ends[0] : ends[1]].reshape(K, depth, width, width),
        flat[:, ends[1] : ends[2]].reshape(K, depth, width, 1),
        flat[:, ends[2] : ends[3]].reshape(K, depth, width, batch),
    )


@functools.cache
def _vmapped(activations: tuple[str, ...], losses: tuple[str, ...], mode: str) -> Any:
    """The single-case computation mapped over a leading case axis of (Ws, bs, x, y, mask);
    `choice` is shared. One per catalogue (an entry added later gets its own) and mode;
    jit compiles it once per (bucket, dtype, chunk) it sees."""
    jax = frameworks.jax()
    return jax.jit(jax.vmap(with_deltas(activations, losses, mode), in_axes=(0, 0, 0, 0, 0, None)))


def _mapped(arrays: tuple[np.ndarray, ...], choice: np.ndarray, mode: str, names: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """`with_deltas`'s flat result for each of K stacked padded cases, a chunk per call (`names`: the catalogue
    `choice` indexes)."""
    total = arrays[0].shape[0]
    size = 1 if total == 1 else CHUNK[mode]
    flats = []
    with frameworks.jax_precision(arrays[2].dtype):
        function = _vmapped(names[0], names[1], mode)
        for start in range(0, total, size):
            chunk = [array[start : start + size] for array in arrays]
            if chunk[0].shape[0] < size:
                fill = size - chunk[0].shape[0]
                chunk = [np.concatenate([array, np.repeat(array[-1:], fill, axis=0)]) for array in chunk]
            flats.append(np.asarray(function(*chunk, choice)))
    return np.concatenate(flats)[:total]


def gradients(stacks: list[Stack], mode: str) -> list[tuple[Gradients, Gradients | None]]:
    """The JAX oracle for every stack, in the stack's layout: stacks that share a padded
    shape, activations and loss go through `jax.vmap` together."""
    inputs = [padded(stack) for stack in stacks]
    pools: dict[tuple[Any, ...], list[int]] = {}
    for index, ((Ws, _, xs, _, _, choice), _) in enumerate(inputs):
        key = (Ws.shape[1:], xs.shape[1:], xs.dtype.str, choice.tobytes(), catalogue(stacks[index]))
        pools.setdefault(key, []).append(index)
    results: list[Any] = [None] * len(stacks)
    for key, members in pools.items():
        arrays = tuple(np.concatenate([inputs[i][0][j] for i in members]) for j in range(5))
        flat = _mapped(arrays, inputs[members[0]][0][5], mode, key[-1])
        depth, width = arrays[0].shape[1:3]
        loss, dWs, dbs, deltas = unpack(flat, depth, width, arrays[2].shape[-1])
        offset = 0
        for i in members:
            stack, skip = stacks[i], inputs[i][1]
            part = slice(offset, offset + stack.K)
            offset += stack.K
            N, dtype = stack.N, stack.dtype
            layers = [(skip + l, W.shape[1], W.shape[2]) for l, W in enumerate(stack.weights)]
            result = Gradients(
                loss=np.asarray(loss[part], dtype=np.float64),
                deltas=[np.asarray(deltas[part, d, :rows, :N], dtype=dtype) for d, rows, _ in layers],
                weights=[np.asarray(dWs[part, d, :rows, :columns], dtype=dtype) for d, rows, columns in layers],
                biases=[np.asarray(dbs[part, d, :rows], dtype=dtype) for d, rows, _ in layers],
            )
            results[i] = (result, None)
    return results


@functools.cache
def _step(activations: tuple[str, ...], losses: tuple[str, ...]) -> Any:
    jax = frameworks.jax()
    C = cost_function(activations, losses)

    def step(Ws: Any, bs: Any, x: Any, y: Any, mask: Any, choice: Any, eta: Any) -> Any:  # noqa: PLR0917 (jit's positional arguments)
        loss, grads = jax.value_and_grad(C, argnums=(0, 1))(Ws, bs, _zero_perturbations(Ws, x), x, y, mask, choice)
        return jax.tree_util.tree_map(lambda p, g: p - eta * g, (Ws, bs), grads), loss

    return jax.jit(step)


@functools.cache
def _regularized(activations: tuple[str, ...], losses: tuple[str, ...]) -> Any:
    jax = frameworks.jax()
    C = cost_function(activations, losses)

    def step(Ws: Any, bs: Any, x: Any, y: Any, mask: Any, choice: Any, eta: Any, c: Any, decay: Any) -> Any:  # noqa: PLR0913, PLR0917 (jit's positional arguments)
        def cost(Ws: Any, bs: Any) -> Any:
            return C(Ws, bs, _zero_perturbations(Ws, x), x, y, mask, choice) + (c * Ws * Ws).sum()

        gW, gb = jax.grad(cost, argnums=(0, 1))(Ws, bs)
        return Ws - eta * (gW + decay * Ws), bs - eta * gb

    return jax.jit(step)


def update(case: Case, learning_rate: float, l2: float, weight_decay: float) -> Parameters:
    """One step W ← W − η (∂(C + c·ΣW²)/∂W + wd·W), b ← b − η ∂C/∂b, the gradient by `jax.grad` of the cost
    with the L2 term `l2` (= c) added in JAX (identity layers padded in front carry no weight decay: their
    W is the identity and only the case's own layers are read back)."""
    jax = frameworks.jax()
    sizes, dtype = case.network.sizes, case.network.dtype
    stack = Stack.of([case])
    (Ws, bs, xs, ys, mask, choice), skip = padded(stack)
    real = np.zeros_like(Ws[0])
    real[skip:] = 1  # the L2 term and the decay on the case's own layers only
    eta, c, decay = (dtype.type(v) for v in (learning_rate, l2, weight_decay))
    with frameworks.jax_precision(dtype):
        W_new, b_new = jax.device_get(
            _regularized(*catalogue(stack))(Ws[0], bs[0], xs[0], ys[0], mask[0], choice, eta, c * real, decay * real)
        )
    return (
        [np.array(W[:n, :m], dtype=dtype) for W, n, m in zip(W_new[skip:], sizes[1:], sizes)],
        [np.array(b[:n], dtype=dtype) for b, n in zip(b_new[skip:], sizes[1:])],
    )


def sgd_step(case: Case, learning_rate: float) -> tuple[Parameters, float]:
    """One step W ← W − η ∂C/∂W, b ← b − η ∂C/∂b with `jax.grad` and `jax.tree_util`, and
    the cost C before the step; the case is left as it is."""
    jax = frameworks.jax()
    sizes, dtype = case.network.sizes, case.network.dtype
    stack = Stack.of([case])
    (Ws, bs, xs, ys, mask, choice), skip = padded(stack)
    with frameworks.jax_precision(dtype):
        (Ws, bs), loss = jax.device_get(
            _step(*catalogue(stack))(Ws[0], bs[0], xs[0], ys[0], mask[0], choice, dtype.type(learning_rate))
        )
    parameters = (
        [np.array(W[:n, :m], dtype=dtype) for W, n, m in zip(Ws[skip:], sizes[1:], sizes)],
        [np.array(b[:n], dtype=dtype) for b, n in zip(bs[skip:], sizes[1:])],
    )
    return parameters, float(loss)


def l2(weights: list[np.ndarray], c: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """R = c · Σ_l ΣW^l² per case (c: (K,), weights stacked (K, n, m)) and ∂R/∂W^l, by `jax.grad`
    of one compiled function: every weight of a case flattened into one row, cases and rows
    padded with zeros to powers of two (a zero weight adds exactly 0 to R and gets gradient 0)."""
    jax = frameworks.jax()
    dtype = weights[0].dtype
    K = weights[0].shape[0]
    flat = np.concatenate([W.reshape(K, -1) for W in weights], axis=1)
    rows, width = _power_of_two(K), _power_of_two(flat.shape[1])
    padded_flat = np.zeros((rows, width), dtype)
    padded_flat[:K, : flat.shape[1]] = flat
    coefficient = np.zeros(rows, dtype)
    coefficient[:K] = c
    with frameworks.jax_precision(dtype):
        values, grads = jax.device_get(_l2_compiled()(padded_flat, coefficient))
    values, grads = np.asarray(values, dtype=np.float64)[:K], np.asarray(grads, dtype=dtype)[:K]
    out, start = [], 0
    for W in weights:
        size = int(np.prod(W.shape[1:]))
        out.append(grads[:, start : start + size].reshape(W.shape))
        start += size
    return values, out


def _power_of_two(n: int) -> int:
    return max(8, 1 << (max(n, 1) - 1).bit_length())


@functools.cache
def _l2_compiled() -> Any:
    jax = frameworks.jax()
    jnp = jax.numpy

    def R(flat: Any, c: Any) -> Any:
        return c * jnp.sum(flat * flat, axis=1)

    return jax.jit(lambda flat, c: (R(flat, c), jax.grad(lambda f: jnp.sum(R(f, c)))(flat)))
