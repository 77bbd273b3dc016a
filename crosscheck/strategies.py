"""Hypothesis strategies for whole cases: a network, a batch x and targets y.

Hypothesis draws the *structure* (depth, widths, batch size, dtype, activation and
loss names, the scale of every layer, whether to plant exact zeros) and one seed; the
bulk values come from `numpy.random.default_rng(seed)`. Drawing every float through
Hypothesis costs thousands of draws a network; this costs a few dozen. Shrinking still works
where it matters: depth, widths and batch shrink to their minimum, scales to 1, the
zeros off, and the seed to 0, so a failure ends as a small, plainly drawn network.

    from crosscheck.strategies import cases

    @given(cases(max_layers=3, dtype=np.float64))
    def test_mine(case): ...
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from crosscheck import counterparts
from crosscheck.case import Case, Stack
from reference import ACTIVATIONS, LOSSES, Network

DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

WEIGHT_SCALES = (1.0, 0.0, 0.1, 3.0, 10.0, 30.0)
"""Each layer's W is scale · N(0, 1) / √n_in, so z^l has about the scale's size times
|a^{l-1}|: 30 saturates a sigmoid (|z| up to ~30 and beyond), 0 makes W exactly zero."""
INPUT_SCALES = (1.0, 0.0, 10.0)


def hidden_activations() -> list[str]:
    """Hidden layers take element-wise activations only (BP2 multiplies by σ' element-wise)."""
    return sorted(name for name, entry in ACTIVATIONS.items() if entry.elementwise)


BOUNDED_OUTPUT_LOSSES = ("binary_cross_entropy", "cross_entropy")
OUTPUT_BOUND = {np.dtype(np.float64): 25.0, np.dtype(np.float32): 15.0}
"""For the log losses |z^L| stays below this, so σ(z^L) and softmax stay inside (0, 1)
in the dtype and PyTorch's clamps (log ≥ −100, a(1 − a) ≥ 1e-12) never engage: past it
the cost is infinite (the reference refuses it) or the frameworks clamp."""
ZERO_FRACTION = 0.3
"""With `zeros` drawn true, this fraction of the entries of W, b and x is exactly 0."""


def cases(
    *,
    min_layers: int = 1,
    max_layers: int = 5,
    min_width: int = 1,
    max_width: int = 8,
    min_batch: int = 1,
    max_batch: int = 8,
    dtype: Any = None,
    activation: str | None = None,
    output_activation: str | None = None,
    loss: str | None = None,
    saturate: bool = True,
    square: bool = False,
) -> st.SearchStrategy[Case]:
    """Cases with `min_layers..max_layers` weight layers (L − 1), every width in
    `min_width..max_width`, a batch of `min_batch..max_batch` samples.

    `dtype`, `activation`, `output_activation` and `loss` are drawn when None.
    `square=True` gives every layer the same width (for checks that need W^l square).
    `saturate=False` keeps weight and input scales ≤ 1, so z stays in σ's responsive
    range (|z| of a few units), for checks that need every tensor to carry close to
    its full precision (the sensitivity tests).
    """
    return _cases(_options(**locals()))


def batches(*, size: int = 32, **options: Any) -> st.SearchStrategy[Stack]:
    """`size` cases of one drawn structure, stacked (a `crosscheck.case.Stack`) for the
    oracles: Hypothesis draws the structure, the names and a seed, exactly as
    `cases` does (same keyword options); each case's scales, zeros and values come from
    the seed. A failure shrinks the structure and the seed; `Stack.case(k)` is case k."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int, got {size!r}")
    return _stacks(_options(**options), size)


def _options(**given: Any) -> _Options:
    """`cases`'s keyword options (names and defaults from its signature), validated
    (messages name the argument)."""
    bound = inspect.signature(cases).bind(**given)  # an unknown keyword is a TypeError naming it
    bound.apply_defaults()
    o = bound.arguments
    min_layers, max_layers, min_width, max_width, min_batch, max_batch = (
        o[f"{end}_{what}"] for what in ("layers", "width", "batch") for end in ("min", "max")
    )
    dtype, activation, output_activation, loss = o["dtype"], o["activation"], o["output_activation"], o["loss"]
    saturate, square = o["saturate"], o["square"]
    _check_range("layers", min_layers, max_layers)
    _check_range("width", min_width, max_width)
    _check_range("batch", min_batch, max_batch)
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be float32, float64 or None, got {dtype!r}") from None
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be float32, float64 or None, got {dtype}")
    for argument, name, registry in (
        ("activation", activation, ACTIVATIONS),
        ("output_activation", output_activation, ACTIVATIONS),
        ("loss", loss, LOSSES),
    ):
        if name is not None and name not in registry:
            raise ValueError(f"{argument}={name!r} is not in the reference's registry; known: {sorted(registry)}")
    if activation is not None and activation not in hidden_activations():
        raise ValueError(f"activation={activation!r} is not element-wise: it can only be an output_activation")
    if loss is not None and output_activation is not None and loss not in compatible_losses(output_activation):
        raise ValueError(
            f"loss={loss!r} needs output_activation={LOSSES[loss].output!r}, got output_activation={output_activation!r}"
        )
    for argument, flag in (("saturate", saturate), ("square", square)):
        if not isinstance(flag, bool):
            raise TypeError(f"{argument} must be a bool, got {flag!r}")
    weight_scales = WEIGHT_SCALES if saturate else tuple(s for s in WEIGHT_SCALES if s <= 1.0)
    input_scales = INPUT_SCALES if saturate else tuple(s for s in INPUT_SCALES if s <= 1.0)
    options = _Options(
        min_layers,
        max_layers,
        min_width,
        max_width,
        min_batch,
        max_batch,
        dtype,
        activation,
        output_activation,
        loss,
        weight_scales,
        input_scales,
        square,
    )
    return options


def _check_range(what: str, low: Any, high: Any) -> None:
    for argument, value in ((f"min_{what}", low), (f"max_{what}", high)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{argument} must be an int, got {value!r}")
        if value < 1:
            raise ValueError(f"{argument}={value} must be at least 1")
    if low > high:
        raise ValueError(f"min_{what}={low} is larger than max_{what}={high}")


@dataclass(frozen=True)
class _Options:
    """`cases`'s validated options."""

    min_layers: int
    max_layers: int
    min_width: int
    max_width: int
    min_batch: int
    max_batch: int
    dtype: np.dtype | None
    activation: str | None
    output_activation: str | None
    loss: str | None
    weight_scales: tuple[float, ...]
    input_scales: tuple[float, ...]
    square: bool


@dataclass(frozen=True)
class _Draws:
    """The strategies one example draws from, built once per options and catalogue:
    building a strategy anew for every draw (and Hypothesis validating it) cost as much
    as the rest of the example."""

    depth: st.SearchStrategy[int]
    width: st.SearchStrategy[int]
    sizes: dict[int, st.SearchStrategy[list[int]]]
    N: st.SearchStrategy[int]
    dtype: st.SearchStrategy[np.dtype]
    hidden: st.SearchStrategy[str]
    output: st.SearchStrategy[str]
    losses: dict[str, st.SearchStrategy[str]]
    weight_scales: dict[int, st.SearchStrategy[list[float]]]
    input_scale: st.SearchStrategy[float]
    zeros: st.SearchStrategy[bool]
    seed: st.SearchStrategy[int]


def _draws(o: _Options) -> _Draws:
    # The registries can grow at run time (a user adds an entry): they are part of the key.
    catalogue = (
        tuple(sorted((name, entry.elementwise) for name, entry in ACTIVATIONS.items())),
        tuple(sorted((name, str(entry.output)) for name, entry in LOSSES.items())),
    )
    return _built_draws(o, catalogue)


@functools.cache
def _built_draws(o: _Options, catalogue: tuple[Any, ...]) -> _Draws:
    depths = range(o.min_layers, o.max_layers + 1)
    width = st.integers(o.min_width, o.max_width)
    outputs = sorted(ACTIVATIONS)
    return _Draws(
        depth=st.integers(o.min_layers, o.max_layers),
        width=width,
        sizes={d: st.lists(width, min_size=d + 1, max_size=d + 1) for d in depths},
        N=st.integers(o.min_batch, o.max_batch),
        dtype=st.sampled_from(DTYPES),
        hidden=st.sampled_from(hidden_activations()),
        output=st.sampled_from(outputs),
        losses={name: st.sampled_from(compatible_losses(name)) for name in outputs},
        weight_scales={d: st.lists(st.sampled_from(o.weight_scales), min_size=d, max_size=d) for d in depths},
        input_scale=st.sampled_from(o.input_scales),
        zeros=st.booleans(),
        seed=st.integers(0, 2**32 - 1),
    )


def _structure(draw: st.DrawFn, o: _Options) -> tuple[list[int], int, np.dtype, str, str, str]:
    """sizes, N, dtype, hidden and output activation, loss."""
    d = _draws(o)
    depth = draw(d.depth, label="weight layers")
    sizes = [draw(d.width, label="width")] * (depth + 1) if o.square else draw(d.sizes[depth], label="sizes")
    N = draw(d.N, label="N")
    chosen: np.dtype = o.dtype if o.dtype is not None else draw(d.dtype, label="dtype")
    hidden = o.activation or draw(d.hidden, label="activation")
    output_activation = o.output_activation
    if output_activation is None and o.loss is not None and LOSSES[o.loss].output is not None:
        output_activation = LOSSES[o.loss].output
    output = output_activation or draw(d.output, label="output_activation")
    cost = o.loss or draw(d.losses[output], label="loss")
    return sizes, N, chosen, hidden, output, cost


@st.composite
def _cases(draw: st.DrawFn, o: _Options) -> Case:
    sizes, N, chosen, hidden, output, cost = _structure(draw, o)
    d = _draws(o)
    weight_scales = draw(d.weight_scales[len(sizes) - 1], label="weight scales")
    input_scale = draw(d.input_scale, label="input scale")
    zeros = draw(d.zeros, label="exact zeros")
    seed = draw(d.seed, label="seed")
    weights, biases, x, y = build_arrays(
        np.random.default_rng(seed), sizes, N, chosen, hidden, output, cost, weight_scales, input_scale, zeros
    )
    network = Network(weights, biases, activation=hidden, output_activation=output, loss=cost)
    origin = f"strategy seed {seed}, weight scales {weight_scales}, input scale {input_scale}"
    if zeros:
        origin += ", exact zeros"
    return Case(network, x, y, origin=origin)


@st.composite
def _stacks(draw: st.DrawFn, o: _Options, size: int) -> Stack:
    sizes, N, chosen, hidden, output, cost = _structure(draw, o)
    seed = draw(_draws(o).seed, label="seed")
    rng = np.random.default_rng(seed)
    return build_stack(rng, sizes, N, chosen, hidden, output, cost, size, o.weight_scales, o.input_scales, f"batch seed {seed}")


def build_stack(
    rng: np.random.Generator,
    sizes: Any,
    N: int,
    dtype: Any,
    hidden: str,
    output: str,
    loss: str,
    K: int,
    weight_scales: tuple[float, ...] = WEIGHT_SCALES,
    input_scales: tuple[float, ...] = INPUT_SCALES,
    origin: str = "",
) -> Stack:
    """K cases of one structure from `rng`, each with its own weight scales, input scale
    and exact zeros drawn from the choices given, values from `build_arrays`."""
    depth = len(sizes) - 1
    arrays, origins = [], []
    for k in range(K):
        scales = [float(s) for s in rng.choice(weight_scales, size=depth)]
        input_scale = float(rng.choice(input_scales))
        zeros = bool(rng.integers(0, 2))
        arrays.append(build_arrays(rng, sizes, N, dtype, hidden, output, loss, scales, input_scale, zeros))
        origins.append(f"{origin}, case {k}, weight scales {scales}, input scale {input_scale}{', exact zeros' if zeros else ''}")
    return Stack(
        [np.stack([a[0][i] for a in arrays]) for i in range(depth)],
        [np.stack([a[1][i] for a in arrays]) for i in range(depth)],
        np.stack([a[2] for a in arrays]),
        np.stack([a[3] for a in arrays]),
        hidden,
        output,
        loss,
        np.tile(np.array(sizes), (K, 1)),
        tuple(origins),
    )


def build_arrays(
    rng: np.random.Generator,
    sizes: Any,
    N: int,
    dtype: Any,
    hidden: str,
    output: str,
    loss: str,
    weight_scales: Any,
    input_scale: float,
    zeros: bool,
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """The bulk values of a case, from `rng`: W^l = scale · N(0, 1)/√n_in, b^l = scale ·
    N(0, 1), x = input_scale · N(0, 1), exact zeros planted when `zeros`, targets from
    the loss's counterpart; |z^L| bounded for the log losses."""
    weights, biases = [], []
    for n_in, n_out, scale in zip(sizes, sizes[1:], weight_scales):
        weights.append(_planted(rng, scale * rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), zeros))
        biases.append(_planted(rng, scale * rng.standard_normal((n_out, 1)), zeros))
    x = _planted(rng, input_scale * rng.standard_normal((sizes[0], N)), zeros)
    y = counterparts.loss(loss).targets(rng, (sizes[-1], N))
    if loss in BOUNDED_OUTPUT_LOSSES:
        _bound_output(weights, biases, x, hidden, output, OUTPUT_BOUND[np.dtype(dtype)])
    cast = [W.astype(dtype) for W in weights], [b.astype(dtype) for b in biases]
    return cast[0], cast[1], x.astype(dtype), y.astype(dtype)


def compatible_losses(output: str) -> list[str]:
    """The losses that accept `output` as the output activation."""
    return sorted(name for name, loss in LOSSES.items() if loss.output in (None, output))


def _bound_output(
    weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, hidden: str, output: str, bound: float
) -> None:
    """Scale W^L and b^L so that |z^L| ≤ bound (in place), using the counterparts' σ."""
    a = x
    for W, b in zip(weights[:-1], biases[:-1]):
        a = counterparts.activation(hidden).numpy(W @ a + b)
    largest = float(np.max(np.abs(weights[-1] @ a + biases[-1])))
    if largest > bound:
        weights[-1] *= bound / largest
        biases[-1] *= bound / largest


def _planted(rng: np.random.Generator, values: np.ndarray, zeros: bool) -> np.ndarray:
    if zeros:
        values = np.where(rng.uniform(size=values.shape) < ZERO_FRACTION, 0.0, values)
    return values


def random_cases(rng: np.random.Generator, count: int, **options: Any) -> list[Case]:
    """`count` cases drawn from `rng` alone, with `cases`'s keyword options and
    distribution of structures, scales and zeros: the fast sweep of `check_implementation`
    (thousands a second; Hypothesis then shrinks what the sweep finds)."""
    o = _options(**options)
    found = []
    for _ in range(count):
        depth = int(rng.integers(o.min_layers, o.max_layers + 1))
        width = int(rng.integers(o.min_width, o.max_width + 1))
        sizes = (
            [width] * (depth + 1) if o.square else [int(n) for n in rng.integers(o.min_width, o.max_width + 1, size=depth + 1)]
        )
        N = int(rng.integers(o.min_batch, o.max_batch + 1))
        dtype = o.dtype if o.dtype is not None else DTYPES[int(rng.integers(0, 2))]
        hidden = o.activation or str(rng.choice(hidden_activations()))
        output = o.output_activation or str(rng.choice(compatible_outputs(o.loss) if o.loss else sorted(ACTIVATIONS)))
        loss = o.loss or str(rng.choice(compatible_losses(output)))
        scales = [float(rng.choice(o.weight_scales)) for _ in range(depth)]
        input_scale = float(rng.choice(o.input_scales))
        zeros = bool(rng.random() < 0.5)
        W, b, x, y = build_arrays(rng, sizes, N, dtype, hidden, output, loss, scales, input_scale, zeros)
        network = Network(W, b, activation=hidden, output_activation=output, loss=loss)
        origin = f"weight scales {scales}, input scale {input_scale}" + (", exact zeros" if zeros else "")
        found.append(Case(network, x, y, origin=origin))
    return found


def compatible_outputs(loss: str) -> list[str]:
    """The output activations `loss` accepts."""
    return sorted(name for name in ACTIVATIONS if loss in compatible_losses(name))


DIVERSE = {"max_layers": 8, "max_width": 32, "max_batch": 64}
"""The diverse generator's ranges: deeper, wider and larger batches than `cases`' defaults."""
DIVERSE_WEIGHT_SCALES = (0.0, 0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


def diverse_cases(rng: np.random.Generator, count: int) -> list[Case]:
    """`count` correct cases for the false-alarm sweep, drawn from `rng` alone: every valid
    (hidden, output, loss) of the catalogue, float32 and float64 alike, 1-8 weight layers,
    widths 1-32, batches 1-64, each layer's weight scale from `DIVERSE_WEIGHT_SCALES` (up to
    10: deep saturation), input scales 0, 1 and 10, exact zeros in half the cases. Wider
    than the property tests' `cases()`, on purpose: a comparison that cries wolf anywhere
    here cries wolf on someone's correct code."""
    found = []
    outputs = sorted(ACTIVATIONS)
    for _ in range(count):
        depth = int(rng.integers(1, DIVERSE["max_layers"] + 1))
        sizes = [int(n) for n in rng.integers(1, DIVERSE["max_width"] + 1, size=depth + 1)]
        N = int(rng.integers(1, DIVERSE["max_batch"] + 1))
        dtype = DTYPES[int(rng.integers(0, 2))]
        hidden = str(rng.choice(hidden_activations()))
        output = str(rng.choice(outputs))
        loss = str(rng.choice(compatible_losses(output)))
        scales = [float(rng.choice(DIVERSE_WEIGHT_SCALES)) for _ in range(depth)]
        input_scale = float(rng.choice(INPUT_SCALES))
        zeros = bool(rng.random() < 0.5)
        W, b, x, y = build_arrays(rng, sizes, N, dtype, hidden, output, loss, scales, input_scale, zeros)
        network = Network(W, b, activation=hidden, output_activation=output, loss=loss)
        found.append(Case(network, x, y, origin=f"diverse, weight scales {scales}, input scale {input_scale}"))
    return found
