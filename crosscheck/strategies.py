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

SEARCH_PHASES = ("generate", "target", "shrink")
"""Hypothesis's phases the search runs, by name: not its explain phase, which only annotates a failing test's
report (`find` shows none) and took four fifths of a shrink's time, after the minimal case was found."""


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


@dataclass(frozen=True)
class Structure:
    """What a case is before its values: sizes (n_1, ..., n_L), batch size, dtype and names."""

    sizes: tuple[int, ...]
    N: int
    dtype: np.dtype
    activation: str
    output_activation: str
    loss: str

    @property
    def depth(self) -> int:
        """The number of weight layers, L − 1."""
        return len(self.sizes) - 1


@dataclass(frozen=True)
class Scales:
    """How one case's values are drawn: each layer's weight scale, the input's, and whether
    `ZERO_FRACTION` of the entries of W, b and x are exactly 0."""

    weights: tuple[float, ...]
    input: float
    zeros: bool

    def origin(self) -> str:
        """How a report names them."""
        return f"weight scales {list(self.weights)}, input scale {self.input}" + (", exact zeros" if self.zeros else "")


def cases(  # noqa: PLR0913 (keyword-only options, each with a default, as Hypothesis's own strategies)
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
    weight_scales: tuple[float, ...] | None = None,
    input_scales: tuple[float, ...] | None = None,
    zeros: bool | None = None,
    sizes: tuple[int, ...] | None = None,
    outputs: int | None = None,
    targets: str | None = None,
) -> st.SearchStrategy[Case]:
    """Cases with `min_layers..max_layers` weight layers (L − 1), every width in
    `min_width..max_width`, a batch of `min_batch..max_batch` samples.

    `sizes` fixes the architecture (n_1, ..., n_L) (depth and widths are then not drawn);
    `outputs` fixes n_L alone. `targets` restricts y: "one_hot" (also for integer labels:
    a one-hot column per sample) or "binary" (every target exactly 0 or 1); None: the loss's
    own targets (`crosscheck.counterparts`).

    `dtype`, `activation`, `output_activation` and `loss` are drawn when None.
    `square=True` gives every layer the same width (for checks that need W^l square).
    `saturate=False` keeps weight and input scales ≤ 1, so z stays in σ's responsive
    range (|z| of a few units), for checks that need every tensor to carry close to
    its full precision (the sensitivity tests). `weight_scales` and `input_scales` replace
    the choices of scale (`WEIGHT_SCALES`, `INPUT_SCALES`); `zeros` fixes whether exact
    zeros are planted (None: drawn).
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


def random_cases(rng: np.random.Generator, count: int, **options: Any) -> list[Case]:
    """`count` cases drawn from `rng` alone, with `cases`'s keyword options and the same
    body that draws its structures, scales and zeros: the fast sweep of
    `check_implementation` (thousands a second; Hypothesis then shrinks what the sweep finds)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    o = _options(**options)
    pick = _RngPick(rng)
    found = []
    for _ in range(int(count)):
        structure = draw_structure(pick, o)
        scales = draw_scales(pick, structure.depth, o)
        found.append(_case(build_arrays(rng, structure, scales, o.targets), structure, scales.origin()))
    return found


DIVERSE = {"max_layers": 8, "max_width": 32, "max_batch": 64, "weight_scales": (0.0, 0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)}
"""The diverse generator's ranges: deeper, wider and larger batches than `cases`' defaults,
and each layer's weight scale up to 10 (deep saturation)."""


def diverse_cases(rng: np.random.Generator, count: int) -> list[Case]:
    """`count` correct cases for the false-alarm sweep, drawn from `rng` alone: `random_cases`
    with the wider ranges of `DIVERSE` (every valid (hidden, output, loss) of the catalogue,
    float32 and float64 alike, 1-8 weight layers, widths 1-32, batches 1-64, weight scales
    up to 10, input scales 0, 1 and 10, exact zeros in half the cases). Wider than the
    property tests' `cases()`, on purpose: a comparison that cries wolf anywhere here cries
    wolf on someone's correct code."""
    return random_cases(rng, count, **DIVERSE)


def build_stack(
    rng: np.random.Generator,
    structure: Structure,
    K: int,
    *,
    weight_scales: tuple[float, ...] = WEIGHT_SCALES,
    input_scales: tuple[float, ...] = INPUT_SCALES,
    origin: str = "",
) -> Stack:
    """K cases of one structure from `rng`, each with its own weight scales, input scale
    and exact zeros drawn from the choices given (`draw_scales`), values from `build_arrays`."""
    pick = _RngPick(rng)
    o = _options(weight_scales=weight_scales, input_scales=input_scales)
    arrays, origins = [], []
    for k in range(K):
        scales = draw_scales(pick, structure.depth, o)
        arrays.append(build_arrays(rng, structure, scales))
        origins.append(f"{origin}, case {k}, {scales.origin()}")
    depth = structure.depth
    return Stack(
        [np.stack([a[0][i] for a in arrays]) for i in range(depth)],
        [np.stack([a[1][i] for a in arrays]) for i in range(depth)],
        np.stack([a[2] for a in arrays]),
        np.stack([a[3] for a in arrays]),
        structure.activation,
        structure.output_activation,
        structure.loss,
        np.tile(np.array(structure.sizes), (K, 1)),
        tuple(origins),
    )


def build_arrays(
    rng: np.random.Generator, structure: Structure, scales: Scales, targets: str | None = None
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """The bulk values of a case, from `rng`: W^l = scale · N(0, 1)/√n_in, b^l = scale ·
    N(0, 1), x = input_scale · N(0, 1), exact zeros planted when `scales.zeros`, targets
    from the loss's counterpart (or as `targets` says: `cases`); |z^L| bounded for the log losses."""
    sizes, N, dtype = structure.sizes, structure.N, structure.dtype
    weights, biases = [], []
    for n_in, n_out, scale in zip(sizes, sizes[1:], scales.weights):
        weights.append(_planted(rng, scale * rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), scales.zeros))
        biases.append(_planted(rng, scale * rng.standard_normal((n_out, 1)), scales.zeros))
    x = _planted(rng, scales.input * rng.standard_normal((sizes[0], N)), scales.zeros)
    y = _targets(rng, structure, targets)
    if structure.loss in BOUNDED_OUTPUT_LOSSES:
        _bound_output(weights, biases, x, structure.activation, structure.output_activation, OUTPUT_BOUND[np.dtype(dtype)])
    cast = [W.astype(dtype) for W in weights], [b.astype(dtype) for b in biases]
    return cast[0], cast[1], x.astype(dtype), y.astype(dtype)


# --- options ---------------------------------------------------------------------------
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
    saturate, square, zeros = o["saturate"], o["square"], o["zeros"]
    sizes, outputs, targets = _fixed(o["sizes"], o["outputs"], o["targets"])
    _check_range("layers", min_layers, max_layers)
    _check_range("width", min_width, max_width)
    _check_range("batch", min_batch, max_batch)
    min_layers, max_layers, min_width, max_width, min_batch, max_batch = (
        int(v) for v in (min_layers, max_layers, min_width, max_width, min_batch, max_batch)
    )
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be float32, float64 or None, got {dtype!r}") from None
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be float32, float64 or None, got {dtype}")
    _check_names(activation, output_activation, loss)
    for argument, flag in (("saturate", saturate), ("square", square)):
        if not isinstance(flag, bool):
            raise TypeError(f"{argument} must be a bool, got {flag!r}")
    if zeros is not None and not isinstance(zeros, bool):
        raise TypeError(f"zeros must be a bool or None, got {zeros!r}")
    weight_scales = _scales("weight_scales", o["weight_scales"], WEIGHT_SCALES, saturate)
    input_scales = _scales("input_scales", o["input_scales"], INPUT_SCALES, saturate)
    return _Options(
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
        zeros,
        sizes,
        outputs,
        targets,
    )


TARGETS = (None, "one_hot", "binary")


def _fixed(sizes: Any, outputs: Any, targets: Any) -> tuple[tuple[int, ...] | None, int | None, str | None]:
    """`sizes`, `outputs` and `targets`, validated (the errors name the argument)."""
    fixed = _fixed_sizes(sizes)
    if outputs is not None and (isinstance(outputs, bool) or not isinstance(outputs, (int, np.integer)) or outputs < 1):
        raise ValueError(f"outputs must be a positive int (the output width n_L) or None, got {outputs!r}")
    if fixed is not None and outputs is not None and fixed[-1] != outputs:
        raise ValueError(f"sizes={fixed} ends in {fixed[-1]} outputs but outputs={outputs}")
    if targets not in TARGETS:
        raise ValueError(f"targets must be one of {[t for t in TARGETS if t]} or None, got {targets!r}")
    return fixed, None if outputs is None else int(outputs), targets


def _fixed_sizes(given: Any) -> tuple[int, ...] | None:
    """`sizes` as a tuple of at least two positive ints, or None; else an error naming it."""
    if given is None:
        return None
    try:
        sizes = tuple(given)
    except TypeError:
        raise TypeError(f"sizes must be a sequence of ints (n_1, ..., n_L), got {given!r}") from None
    if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in sizes):
        raise ValueError(f"sizes must be at least two positive ints (n_1, ..., n_L), got {given!r}")
    return tuple(int(n) for n in sizes)


def _check_names(activation: Any, output_activation: Any, loss: Any) -> None:
    """The activation, output activation and loss names: in the registry, element-wise where
    hidden, and a loss that accepts the output activation (the errors name the argument)."""
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


def _scales(argument: str, given: Any, default: tuple[float, ...], saturate: bool) -> tuple[float, ...]:
    """The choices of scale: `given` (validated), or the defaults, kept ≤ 1 without `saturate`."""
    if given is None:
        return default if saturate else tuple(s for s in default if s <= 1.0)
    try:
        chosen = tuple(float(s) for s in given)
    except (TypeError, ValueError):
        raise TypeError(f"{argument} must be a sequence of numbers, got {given!r}") from None
    if not chosen or not all(np.isfinite(s) and s >= 0 for s in chosen):
        raise ValueError(f"{argument} must be a non-empty sequence of finite numbers >= 0, got {given!r}")
    return chosen


def _check_range(what: str, low: Any, high: Any) -> None:
    for argument, value in ((f"min_{what}", low), (f"max_{what}", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
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
    zeros: bool | None
    sizes: tuple[int, ...] | None = None
    outputs: int | None = None
    targets: str | None = None


# --- the one body that draws a structure and its scales -----------------------------------
class _RngPick:
    """Draws from a NumPy Generator (the seeded sweeps, the certificate, the soak)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def integer(self, low: int, high: int, label: str) -> int:
        return int(self.rng.integers(low, high + 1))

    def integers(self, low: int, high: int, count: int, label: str) -> list[int]:
        return [int(n) for n in self.rng.integers(low, high + 1, size=count)]

    def choice(self, options: tuple[Any, ...], label: str) -> Any:
        return options[int(self.rng.choice(len(options)))]

    def choices(self, options: tuple[Any, ...], count: int, label: str) -> list[Any]:
        return [options[int(i)] for i in self.rng.choice(len(options), size=count)]

    def boolean(self, label: str) -> bool:
        return bool(self.rng.integers(0, 2))


class _HypothesisPick:
    """Draws through Hypothesis (the property tests), so that every choice shrinks."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, low: int, high: int, label: str) -> int:
        return self.draw(_integers(low, high), label=label)

    def integers(self, low: int, high: int, count: int, label: str) -> list[int]:
        return self.draw(_lists(_integers(low, high), count), label=label)

    def choice(self, options: tuple[Any, ...], label: str) -> Any:
        return self.draw(_sampled(options), label=label)

    def choices(self, options: tuple[Any, ...], count: int, label: str) -> list[Any]:
        return self.draw(_lists(_sampled(options), count), label=label)

    def boolean(self, label: str) -> bool:
        return self.draw(st.booleans(), label=label)


# Strategies built once each: building one anew for every draw (and Hypothesis validating
# it) cost as much as the rest of the example.
@functools.cache
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.cache
def _sampled(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(options)


@functools.cache
def _lists(elements: st.SearchStrategy[Any], count: int) -> st.SearchStrategy[list[Any]]:
    return st.lists(elements, min_size=count, max_size=count)


def seeded(rng: np.random.Generator) -> _RngPick:
    """The picker that draws from `rng` (for `draw_structure` and `draw_scales` outside Hypothesis)."""
    return _RngPick(rng)


def strategy_options(**options: Any) -> _Options:
    """`cases`'s keyword options, validated, for `draw_structure` and `draw_scales`."""
    return _options(**options)


def draw_structure(pick: _RngPick | _HypothesisPick, o: _Options) -> Structure:
    """Depth, widths, batch size, dtype and names, in that order, each unless fixed by `o`."""
    if o.sizes is not None:
        sizes = list(o.sizes)
    else:
        depth = pick.integer(o.min_layers, o.max_layers, "weight layers")
        if o.square:
            sizes = [pick.integer(o.min_width, o.max_width, "width")] * (depth + 1)
        else:
            sizes = pick.integers(o.min_width, o.max_width, depth + 1, "sizes")
        if o.outputs is not None:
            sizes[-1] = o.outputs
    N = pick.integer(o.min_batch, o.max_batch, "N")
    dtype = o.dtype if o.dtype is not None else pick.choice(DTYPES, "dtype")
    hidden = o.activation or pick.choice(tuple(hidden_activations()), "activation")
    output = o.output_activation or (LOSSES[o.loss].output if o.loss is not None else None)
    output = output or pick.choice(tuple(sorted(ACTIVATIONS)), "output_activation")
    loss = o.loss or pick.choice(tuple(compatible_losses(output)), "loss")
    return Structure(tuple(sizes), N, np.dtype(dtype), hidden, output, loss)


def draw_scales(pick: _RngPick | _HypothesisPick, depth: int, o: _Options) -> Scales:
    """Each layer's weight scale, the input scale and the exact zeros (unless fixed by `o`)."""
    weights = pick.choices(o.weight_scales, depth, "weight scales")
    scale = pick.choice(o.input_scales, "input scale")
    zeros = o.zeros if o.zeros is not None else pick.boolean("exact zeros")
    return Scales(tuple(float(w) for w in weights), float(scale), zeros)


def _case(arrays: tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray], structure: Structure, origin: str) -> Case:
    W, b, x, y = arrays
    network = Network(W, b, activation=structure.activation, output_activation=structure.output_activation, loss=structure.loss)
    return Case(network, x, y, origin=origin)


@st.composite
def _cases(draw: st.DrawFn, o: _Options) -> Case:
    pick = _HypothesisPick(draw)
    structure = draw_structure(pick, o)
    scales = draw_scales(pick, structure.depth, o)
    seed = pick.integer(0, 2**32 - 1, "seed")
    arrays = build_arrays(np.random.default_rng(seed), structure, scales, o.targets)
    return _case(arrays, structure, f"strategy seed {seed}, {scales.origin()}")


@st.composite
def _stacks(draw: st.DrawFn, o: _Options, size: int) -> Stack:
    pick = _HypothesisPick(draw)
    structure = draw_structure(pick, o)
    seed = pick.integer(0, 2**32 - 1, "seed")
    rng = np.random.default_rng(seed)
    return build_stack(
        rng, structure, size, weight_scales=o.weight_scales, input_scales=o.input_scales, origin=f"batch seed {seed}"
    )


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


def _targets(rng: np.random.Generator, structure: Structure, targets: str | None) -> np.ndarray:
    """y of shape (n_L, N): the loss's own targets, one one-hot column per sample, or 0/1 targets."""
    shape = (structure.sizes[-1], structure.N)
    if targets == "one_hot":
        return np.eye(shape[0])[:, rng.integers(0, shape[0], size=shape[1])]
    if targets == "binary":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    return counterparts.loss(structure.loss).targets(rng, shape)


def _planted(rng: np.random.Generator, values: np.ndarray, zeros: bool) -> np.ndarray:
    if zeros:
        values = np.where(rng.uniform(size=values.shape) < ZERO_FRACTION, 0.0, values)
    return values


def compatible_outputs(loss: str) -> list[str]:
    """The output activations `loss` accepts."""
    return sorted(name for name in ACTIVATIONS if loss in compatible_losses(name))
