"""What the pipeline checks: a case, a stack of cases, and the implementation under test.

* `Case`: one network with one batch (x, y), and the snippet that rebuilds it exactly.
* `Stack`: K cases of one depth, batch size, activations, loss and dtype, stacked on a
  leading axis (W^l: (K, n_l, n_{l-1}), x: (K, n_1, N)). Cases of different widths are
  padded with zeros to the widest: a padded neuron feeds the next layer only through
  zero weights and a padded input meets only zero weights, so every real entry gets
  exact zeros added, and `Stack.real` says which entries are real. One case is a stack
  of one; every oracle computes over stacks.
* `Implementation`: the backward pass (and update) under test. The default is the
  reference; a report names it ("the reference", "your implementation").
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crosscheck.convention import Convention
from reference import Gradients, Network

Parameters = tuple[list[np.ndarray], list[np.ndarray]]
"""(weights W^2..W^L, biases b^2..b^L) after an update."""


@dataclass(frozen=True)
class Case:
    """A network with a batch (x, y), as the oracles and reports see it.

    `origin` says how it was drawn (for example the strategy's seed), for the report.
    """

    network: Network
    x: np.ndarray
    y: np.ndarray
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        """Refuse what no oracle could judge: the errors name the argument, what was expected
        and what came, before any framework sees the arrays."""
        if not isinstance(self.network, Network):
            raise TypeError(f"network must be a reference.Network, got {type(self.network).__name__}")
        sizes, dtype = self.network.sizes, self.network.dtype
        x = _matrix("x", self.x, dtype)
        if x.shape[0] != sizes[0]:
            raise ValueError(f"x must have shape ({sizes[0]}, N) (n_1 rows, one column per sample), got {x.shape}")
        y = _matrix("y", self.y, dtype)
        if y.shape != (sizes[-1], x.shape[1]):
            raise ValueError(f"y must have shape {(sizes[-1], x.shape[1])} (n_L rows, one column per sample of x), got {y.shape}")
        self.network.loss.check_targets(y)

    @property
    def names(self) -> tuple[str, str, str]:
        """(hidden activation, output activation, loss)."""
        net = self.network
        return net.activation.name, net.output_activation.name, net.loss.name

    @property
    def label(self) -> str:
        """[sigmoid/quadratic, sizes (2, 3, 1), N=4, float64, seed 17]."""
        hidden, output, loss = self.names
        acts = hidden if output == hidden else f"{hidden}→{output}"
        parts = [f"{acts}/{loss}", f"sizes {self.network.sizes}", f"N={self.x.shape[1]}", str(self.network.dtype)]
        if self.origin:
            parts.append(self.origin)
        return "[" + ", ".join(parts) + "]"

    def reproduction(self, check: str = "crosscheck.check_case(case).assert_ok()", setup: str = "") -> str:
        """Python source that rebuilds this case bit for bit and runs `check` (after `setup`,
        the lines that make the implementation under test, when it is not the reference)."""
        net = self.network
        dtype = f"np.{net.dtype}"
        hidden, output, loss = self.names
        lines = [
            "import numpy as np",
            "import crosscheck",
            "from crosscheck.case import Case",
            "from reference import Network",
            "",
            "network = Network(",
            f"    [{', '.join(_literal(W, dtype) for W in net.weights)}],",
            f"    [{', '.join(_literal(b, dtype) for b in net.biases)}],",
            f"    activation={hidden!r},",
            f"    output_activation={output!r},",
            f"    loss={loss!r},",
            ")",
            f"x = {_literal(self.x, dtype)}",
            f"y = {_literal(self.y, dtype)}",
            f"case = Case(network, x, y, origin={self.origin!r})" if self.origin else "case = Case(network, x, y)",
            *([setup] if setup else []),
            check,
        ]
        return "\n".join(lines)


def _matrix(name: str, value: object, dtype: np.dtype) -> np.ndarray:
    """A 2-D, non-empty, finite array of the network's float dtype, or a TypeError/ValueError naming `name`."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(value).__name__}")
    if type(value) is not np.ndarray:
        raise TypeError(f"{name} must be a plain numpy.ndarray, got the subclass {type(value).__name__}: pass np.asarray({name})")
    if value.dtype.kind != "f" or value.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must have dtype float32 or float64, got {value.dtype}")
    if value.dtype != dtype:
        raise TypeError(f"{name} has dtype {value.dtype} but the network's parameters are {dtype} (mixed precision)")
    if value.ndim != 2:
        raise ValueError(f"{name} must be 2-D (neurons × samples), got shape {value.shape}")
    if value.size == 0:
        raise ValueError(f"{name} must not be empty (at least one sample), got shape {value.shape}")
    if not np.all(np.isfinite(value)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise ValueError(f"{name} must be finite, got {value[bad]} at index {bad}")
    return value


def gradients_literal(name: str, g: Gradients) -> str:
    """`name = Gradients(...)`: Python source that rebuilds `g` bit for bit (2-D arrays, each in its own dtype)."""

    def layers(tensors: Sequence[np.ndarray]) -> str:
        return "[" + ", ".join(_literal(np.asarray(t), f"np.{np.asarray(t).dtype}") for t in tensors) + "]"

    loss = "None" if g.loss is None else repr(float(g.loss))
    return f"{name} = Gradients(loss={loss}, deltas={layers(g.deltas)}, weights={layers(g.weights)}, biases={layers(g.biases)})"


def _literal(array: np.ndarray, dtype: str) -> str:
    # repr of a Python float round-trips exactly, for float64 and for float32 values.
    rows = ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in array)
    return f"np.array([{rows}], dtype={dtype})"


@dataclass(frozen=True)
class Implementation:
    """A backward pass under test, and its update.

    `backward(case)` returns the loss, δ^l, ∂C/∂W^l and ∂C/∂b^l of `case` in the
    derivation's layout; `step(case, η)` returns the parameters after one update (None:
    it has no update to check). `provides` names the quantities it returns (None: what
    each call returns, a loss of None and an empty δ list meaning "not given"); a
    quantity not given is not judged. `name` is how reports speak of it; `setup` is the
    Python source that makes `implementation` in a reproduction. `formulation` says how
    its σ and σ' may be computed (`crosscheck.scales.FORMULATIONS`): "strict" for the
    reference, which keeps their relative accuracy in the tails, "any" for yours.
    `convention`, when given, says what your code does beyond the derivation (its cost's
    scale, an L2 term, a weight decay, a clip); the properties read it, nothing copies it.
    """

    name: str
    backward: Callable[[Case], Gradients]
    step: Callable[[Case, float], Parameters] | None = None
    provides: tuple[str, ...] | None = ("loss", "deltas", "weights", "biases")
    setup: str = ""
    formulation: str = "strict"
    convention: Convention | None = None
    """What your code does, as found or declared (None: the derivation's own, the reference's): the one owner of the
    cost's scale, its L2 term, the update's weight decay and the clip, which the properties below read."""
    redeclared: Callable[[Any], Implementation] | None = field(default=None, compare=False)
    """The same function under another `Convention` (None: not made from a function), for the
    diagnosis's probes (does it agree once its targets are declared otherwise?)."""
    observed: dict[str, Any] = field(default_factory=dict, compare=False)
    """What the edge noticed while calling it (e.g. a float64 answer to a float32 case), for notes."""
    submit: Callable[[Sequence[Case]], Callable[[], list[Any]]] | None = field(default=None, compare=False)
    """Many cases at once: `submit(cases)` starts them and returns what collects, per case, its
    Gradients or the ImplementationProblem that stops judging it (None: `backward` case by case).
    Your function's go to its process in one message, and run there while this process goes on."""
    printed: Callable[[Case], str] | None = field(default=None, compare=False)
    """What your code printed during the calls of a case ("" if nothing), for its report."""
    yours: Callable[[str, int | None, tuple[int, ...]], str] | None = field(default=None, compare=False)
    """A quantity's name in your own convention ("your weights[0][2, 1]" for ∂C/∂W^2[1, 2] with W as
    (n_in, n_out)), for reports; None for the reference, which speaks the derivation's."""
    runner: Any = field(default=None, compare=False)
    """What runs your calls (`crosscheck.isolation`: a child process, or this one), None for the reference."""

    @property
    def regularization(self) -> Callable[[int, int], float] | None:
        """(N, n_L) -> the coefficient c of the c·ΣW² it adds to the derivation's cost (in the derivation's scaling):
        the oracles add the same term, each in its own framework. None: no such term."""
        c = self.convention
        return c.l2_coefficient if c is not None and c.l2 else None

    @property
    def weight_decay(self) -> float:
        """The update's own weight decay (torch.optim.SGD's: ∂C/∂W + weight_decay · W)."""
        return 0.0 if self.convention is None else float(self.convention.weight_decay)

    @property
    def clip(self) -> float:
        """The clip of a log loss's argument it declares (its cost on a clipped to [clip, 1 − clip]): the oracles clip too."""
        return 0.0 if self.convention is None else float(self.convention.clip)

    @property
    def cost_factor(self) -> Callable[[int, int], float] | None:
        """Your cost over the derivation's mean cost, for a batch of N and n_L outputs (N for a summed cost): the
        update you step on it is η times that over the mean cost's. None: the mean cost."""
        return None if self.convention is None else self.convention.update_scale()

    @property
    def isolated(self) -> bool:
        """Whether your code runs in a process of its own."""
        return bool(getattr(self.runner, "isolated", False))

    def given(self, gradients: Gradients) -> tuple[str, ...]:
        """The quantities judged for one answer of `backward`."""
        if self.provides is not None:
            return self.provides
        found = ("loss",) if gradients.loss is not None else ()
        return (*found, *(("deltas",) if gradients.deltas else ()), "weights", "biases")

    @property
    def subject(self) -> str:
        """ "The reference" / "Your implementation", to open a sentence."""
        return self.name[:1].upper() + self.name[1:]

    def check_call(self, oracles: list[str]) -> str:
        """The line of a reproduction that runs the check."""
        keyword = ", implementation=implementation" if self.setup else ""
        return f"crosscheck.check_case(case, oracles={oracles!r}{keyword}).assert_ok()"


def _reference_step(case: Case, learning_rate: float) -> Parameters:
    net = case.network
    hidden, output, loss = case.names
    # type(net): a mutant of the reference keeps its own step.
    network = type(net)(net.weights, net.biases, activation=hidden, output_activation=output, loss=loss)
    network.step(network.backward(case.x, case.y), learning_rate)
    return network.weights, network.biases


REFERENCE = Implementation(
    "the reference",
    backward=lambda case: case.network.backward(case.x, case.y),
    step=_reference_step,
)
"""The default implementation under test: the case's own `Network` (the reference, or a
mutant of it), its `backward` and its `step`."""


@dataclass(frozen=True)
class Stack:
    """K cases of one depth, batch size, activations, loss and dtype, stacked and padded.

    `sizes[k]` is case k's (n_1, ..., n_L); the arrays are as wide as the widest case.
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    x: np.ndarray
    y: np.ndarray
    activation: str
    output_activation: str
    loss: str
    sizes: np.ndarray
    origins: tuple[str, ...] = ()
    clip: float = 0.0
    """The loss's argument clipped to [clip, 1 − clip] (an implementation's declaration): each oracle clips it too."""

    @classmethod
    def of(cls, cases: Sequence[Case]) -> Stack:
        """The cases (one depth, N, activations, loss and dtype) stacked, padded to the widest."""
        first = cases[0]
        K, N, dtype = len(cases), first.x.shape[1], first.network.dtype
        sizes = np.array([case.network.sizes for case in cases])
        widest = sizes.max(axis=0)
        weights = [np.zeros((K, m, n), dtype) for n, m in itertools.pairwise(widest)]
        biases = [np.zeros((K, m, 1), dtype) for m in widest[1:]]
        x = np.zeros((K, widest[0], N), dtype)
        y = np.zeros((K, widest[-1], N), dtype)
        for k, case in enumerate(cases):
            net = case.network
            if case.names != first.names or net.L != first.network.L or case.x.shape[1] != N or net.dtype != dtype:
                raise ValueError(f"a stack holds cases of one structure: {case.label} does not stack with {first.label}")
            for W_stack, b_stack, W, b in zip(weights, biases, net.weights, net.biases):
                W_stack[k, : W.shape[0], : W.shape[1]] = W
                b_stack[k, : b.shape[0]] = b
            x[k, : case.x.shape[0]] = case.x
            y[k, : case.y.shape[0]] = case.y
        return cls(weights, biases, x, y, *first.names, sizes, tuple(case.origin for case in cases))

    @property
    def K(self) -> int:
        return self.x.shape[0]

    @property
    def N(self) -> int:
        return self.x.shape[2]

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype

    @property
    def names(self) -> tuple[str, str, str]:
        return self.activation, self.output_activation, self.loss

    @property
    def uniform(self) -> bool:
        """Every case has the same sizes (nothing is padded)."""
        return bool((self.sizes == self.sizes[:1]).all())

    def __repr__(self) -> str:
        sizes = tuple(int(n) for n in self.sizes.max(axis=0))
        acts = self.activation if self.output_activation == self.activation else f"{self.activation}→{self.output_activation}"
        origin = self.origins[0].split(", case ")[0] if self.origins else ""
        return f"Stack({self.K} cases [{acts}/{self.loss}, sizes {sizes}, N={self.N}, {self.dtype}, {origin}])"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis's falsifying example shows the summary, not every stacked array (a
        # failing case's own report carries the snippet that rebuilds it).
        printer.text(repr(self))

    def first(self, count: int) -> Stack:
        """The first `count` cases."""
        return Stack(
            [W[:count] for W in self.weights],
            [b[:count] for b in self.biases],
            self.x[:count],
            self.y[:count],
            *self.names,
            self.sizes[:count],
            self.origins[:count],
            self.clip,
        )

    def case(self, k: int) -> Case:
        """Case k, at its own sizes."""
        n = self.sizes[k].tolist()
        network = Network(
            [W[k, :rows, :columns] for W, rows, columns in zip(self.weights, n[1:], n)],
            [b[k, :rows] for b, rows in zip(self.biases, n[1:])],
            activation=self.activation,
            output_activation=self.output_activation,
            loss=self.loss,
        )
        return Case(network, self.x[k, : n[0]], self.y[k, : n[-1]], self.origins[k] if self.origins else "")

    def cases(self) -> list[Case]:
        return [self.case(k) for k in range(self.K)]

    def real(self, quantity: str, layer: int) -> np.ndarray:
        """Where the real entries are in a stacked δ^l, ∂C/∂W^l or ∂C/∂b^l (layer = l − 2),
        broadcastable to the tensor's shape (K, ...)."""
        rows_padded = self.weights[layer].shape[1]
        rows = np.arange(rows_padded)[None, :, None] < self.sizes[:, layer + 1, None, None]
        if quantity == "deltas":
            return np.broadcast_to(rows, (self.K, rows_padded, self.N))
        if quantity == "biases":
            return rows
        columns = np.arange(self.weights[layer].shape[2])[None, None, :] < self.sizes[:, layer, None, None]
        return rows & columns

    def stacked(self, gradients: Sequence[Gradients]) -> Gradients:
        """Each case's own gradients placed into the stack's padded layout (zeros elsewhere)."""
        K = self.K
        loss = np.array([np.nan if g.loss is None else g.loss for g in gradients], dtype=np.float64)
        out: dict[str, list[np.ndarray]] = {}
        for quantity, shapes in (
            ("deltas", [(m, self.N) for m in (W.shape[1] for W in self.weights)]),
            ("weights", [W.shape[1:] for W in self.weights]),
            ("biases", [b.shape[1:] for b in self.biases]),
        ):
            tensors: list[np.ndarray] = []
            if not getattr(gradients[0], quantity):  # not provided (an implementation that gives no δ)
                out[quantity] = tensors
                continue
            for layer, shape in enumerate(shapes):
                parts = [getattr(g, quantity)[layer] for g in gradients]
                if self.uniform:
                    tensors.append(np.stack(parts))
                    continue
                tensor = np.zeros((K, *shape), parts[0].dtype)
                for k, part in enumerate(parts):
                    tensor[k, : part.shape[0], : part.shape[1]] = part
                tensors.append(tensor)
            out[quantity] = tensors
        return Gradients(loss=loss, deltas=out["deltas"], weights=out["weights"], biases=out["biases"])

    def unstacked(self, gradients: Gradients, k: int) -> Gradients:
        """Case k's own gradients out of stacked ones, at its own sizes."""
        return unstack(gradients, self.sizes[k], k)


def unstack(gradients: Gradients, sizes: np.ndarray, k: int) -> Gradients:
    """Case k's gradients out of stacked (padded) ones, at its own `sizes` (n_1, ..., n_L)."""
    n = np.asarray(sizes).tolist()
    return Gradients(
        loss=float(np.asarray(gradients.loss)[k]),
        deltas=[d[k, :rows] for d, rows in zip(gradients.deltas, n[1:])],
        weights=[W[k, :rows, :columns] for W, rows, columns in zip(gradients.weights, n[1:], n)],
        biases=[b[k, :rows] for b, rows in zip(gradients.biases, n[1:])],
    )


def stacks(cases: Sequence[Case]) -> list[tuple[list[int], Stack]]:
    """The cases grouped into stacks (one depth, N, activations, loss and dtype, and output
    width where the output activation is not element-wise: a softmax mixes its rows, so
    no padded output row there), with each stack's positions in `cases`."""
    by_key: dict[tuple[Any, ...], list[int]] = {}
    for i, case in enumerate(cases):
        net = case.network
        outputs = None if net.output_activation.elementwise else net.sizes[-1]
        by_key.setdefault((net.L, case.x.shape[1], case.names, net.dtype.str, outputs), []).append(i)
    return [(members, Stack.of([cases[i] for i in members])) for members in by_key.values()]
