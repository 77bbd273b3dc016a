"""Find out, don't assume: what your backward pass does, probed before the sweep (docs/DESIGN.md, "Found out").

Designed cases, every number distinct (the widths and the batch), go to your function in every reading it
could take: samples as columns or rows, W as (n_out, n_in) or (n_in, n_out), b as (n, 1), (n,) or (1, n), a
batch or one sample per call, the targets as given (one-hot) or as class labels (N,) or (1, N), at each depth
of the range asked. What comes back decides, in named steps:

* `_fitting`: the readings in which your code answers with every gradient in its parameter's shape, and the
  order of a pair ((weights, biases) or (biases, weights)) from the shapes alone;
* `_structures`: a depth where it answers in no reading, on distinct and on square widths alike, is a fixed
  architecture (its error kept as evidence), never a failure; a depth where it answers on square widths only
  is a slip of shape, left in the range for the sweep to find; an output width of 1 is tried when nothing
  answers at width 2 or more;
* `_network`: the catalogue's (hidden, output, loss), the cost's form (mean, sum, mean over the elements;
  with or without ½) and an L2 term c·ΣW² (reg or λ/2n), from the loss values it returns alone, never from
  its gradients: a gradient slip cannot be absorbed as a convention.

The result is a `Found`: a Convention like a declared one, the structure, the names and the evidence, made
once, printed (`text`, with the flags and the Convention line to paste) and never re-derived. Readings that
fit every probe equally and judge differently are `ambiguous`: the check then refuses (exit 2) with both and
the flag that picks one. The reference is used here to look (a loss value), never to judge: the sweep judges.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from crosscheck import edge
from crosscheck.case import Case
from crosscheck.convention import Convention, flags, written
from crosscheck.isolation import Outcome
from crosscheck.problems import ImplementationProblem
from reference import ACTIVATIONS, LOSSES, Network

WIDTHS = (2, 5, 3, 6, 7, 9)
"""The probes' widths n_1, n_2, ...: distinct from each other and from the batch, and no output width of 2 or
1 (where the mean over the elements without ½ would cost as the mean with it)."""
BATCHES = (4, 11)
"""The probes' batch sizes: two, so that an L2 term scaled by 1/N (λ/2n) is told from one that is not."""
SQUARE = 3
"""Every width of the square probes (a transpose slip runs there, an architecture does not)."""


@dataclass(frozen=True)
class Found:
    """What probing found: the convention, the depth range accepted, the names (None: not found, the declared
    or default ones stand), the evidence, and the readings that fit as well (an ambiguity)."""

    convention: Convention
    layers: tuple[int, int] | None = None
    outputs: int | None = None
    names: tuple[str, str, str] | None = None
    refused: dict[int, str] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    """Each other reading that fits every probe, as the options that pick it."""
    declared: bool = False
    """The convention was declared: only the structure was found out."""

    def options(self) -> list[str]:
        """The `verify` options that declare what was found."""
        out = flags(self.convention) if not self.declared else []
        if self.names is not None:
            hidden, output, loss = self.names
            out += [f"--activation {hidden}", f"--output-activation {output}", f"--loss {loss}"]
        if self.layers is not None:
            out += [f"--min-layers {self.layers[0]}", f"--max-layers {self.layers[1]}"]
        if self.outputs is not None:
            out.append(f"--outputs {self.outputs}")
        return out

    def text(self, explain: bool = False) -> str:
        """What was found, as the flags and the Convention to paste (and the evidence, with `explain`)."""
        layout = self.convention.describe().split(": ", 1)[1]
        lines = [
            f"Found by probing your code, in the layout declared ({layout}): the structures it accepts"
            if self.declared
            else f"Found by probing your code: {layout}"
        ]
        if self.names is not None:
            lines.append(f"  its network and cost, from the loss values it returns: {'/'.join(self.names)}")
        for depth, error in sorted(self.refused.items()):
            lines.append(f"  it does not accept {depth} weight layer(s) ({error}): not drawn")
        lines.append(f"  declare it to skip the probe: {' '.join(self.options()) or '(the defaults)'}")
        if not self.declared:
            lines.append(f"  or, in Python: {written(self.convention)}")
        if explain:
            lines += ["  evidence:", *(f"    {line}" for line in self.evidence)]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "convention": written(self.convention),
            "options": self.options(),
            "names": None if self.names is None else list(self.names),
            "layers": None if self.layers is None else list(self.layers),
            "outputs": self.outputs,
            "refused": {str(k): v for k, v in self.refused.items()},
            "evidence": list(self.evidence),
            "ambiguous": list(self.ambiguous),
        }


@dataclass(frozen=True)
class Reading:
    """One way your code may take its arrays: a Convention's layout fields."""

    samples: str
    weights: str
    biases: str
    per_sample: bool
    targets: str

    def convention(self, order: str = "weights_first") -> Convention:
        return Convention(
            "found",
            samples=self.samples,
            weights=self.weights,
            biases=self.biases,
            per_sample=self.per_sample,
            targets=self.targets,
            order=order,
        )


READINGS = tuple(
    Reading(s, w, b, p, t)
    for p, t, s, w, b in itertools.product(
        (False, True),
        ("probabilities", "labels", "labels_row"),
        ("columns", "rows"),
        ("out_in", "in_out"),
        ("column", "flat", "row"),
    )
)
"""Every reading, the preferred first: a batch before one sample, targets as given before labels, and the
derivation's layout first (a code that takes its arrays in any layout is read in the derivation's)."""
FIRST = 12
"""The readings tried first: a batch per call, the targets as given (READINGS[:FIRST])."""


def probe_case(depth: int, outputs: int | None, batch: int, square: bool, seed: int, sizes: Sequence[int] | None = None) -> Case:
    """A float64 case of `depth` weight layers, its widths all distinct (or all SQUARE; or `sizes`), one-hot targets."""
    widths = [SQUARE] * (depth + 1) if square else list(WIDTHS[: depth + 1])
    if sizes is not None:
        widths = list(sizes)
    if outputs is not None:
        widths[-1] = outputs
    batch = next(n for n in range(batch, batch + 50) if n not in widths)  # no width equal to the batch
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, 1.0, (m, n)) for n, m in itertools.pairwise(widths)]
    biases = [rng.normal(0.0, 1.0, (m, 1)) for m in widths[1:]]
    x = rng.normal(0.0, 1.0, (widths[0], batch))
    y = np.eye(widths[-1])[:, rng.integers(0, widths[-1], batch)] if widths[-1] > 1 else rng.integers(0, 2, (1, batch)) * 1.0
    return Case(Network(weights, biases), x, y, origin=f"probe {depth} layer(s)")


class _Stop(Exception):
    """Probing stopped: your code did not finish a probe, or the probes took their budget of seconds."""


@dataclass
class _Probes:
    """The probes' runner, and the seconds your code has spent answering them."""

    runner: Any
    spent: float = 0.0

    def run(self, groups: list[list[Any]]) -> list[list[Outcome]]:
        got = self.runner.run(groups)
        for outcomes in got:
            for outcome in outcomes:
                if not outcome.finished:
                    raise _Stop(f"your code did not finish a probe ({outcome.kind})")
                self.spent += outcome.seconds
        if self.spent > BUDGET:
            raise _Stop(f"the probes took {self.spent:.1f} s of your code's time, more than their {BUDGET:g} s")
        return got


BUDGET = 3.0
"""Seconds of your code's time the probes may take in all (ordinary code takes a few milliseconds)."""


def find(
    runner: Any,
    *,
    depths: Sequence[int],
    outputs: int | None,
    names: dict[str, str | None],
    sizes: Sequence[int] | None = None,
    declared: Convention | None = None,
) -> Found | None:
    """What your code does (see the module), or None when it answers in no reading at any depth and width tried,
    or does not finish the probes within BUDGET. With `sizes` (a fixed architecture declared) the probes have
    those sizes and no depth is inferred. With a `declared` convention only its reading is tried, and only the
    structure is found out (the depths and an output width of 1 it accepts); the rest stays as declared."""
    probes = _Probes(runner)
    readings = (
        READINGS
        if declared is None
        else (Reading(declared.samples, declared.weights, declared.biases, declared.per_sample, declared.targets),)
    )
    try:
        found = _found(probes, list(depths) if sizes is None else [len(sizes) - 1], outputs, names, sizes, readings)
    except _Stop:
        return None
    if found is None or declared is None:
        return found
    return replace(found, convention=declared, names=None, ambiguous=(), declared=True)


@dataclass(frozen=True)
class _Hit:
    """Where a search stage found readings that fit: the depth, the readings, the output width, and how (on
    square widths; loosely: the weights' shapes right, the biases' not)."""

    depth: int
    fitting: list[tuple[Reading, str]]
    outputs: int | None
    square: bool = False
    loose: bool = False


def _search(
    probes: _Probes,
    depths: list[int],
    outputs: int | None,
    sizes: Sequence[int] | None,
    errors: dict[int, str],
    every: Sequence[Reading] = READINGS,
) -> Iterator[_Hit]:
    """The stages, cheapest and likeliest first: the batch readings on distinct widths (two weight layers first),
    every other reading, an output width of 1, every reading on square widths (a transpose slip runs there),
    then the batch readings loosely (a bias gradient of the wrong shape)."""
    first = sorted(depths, key=lambda d: (d != 2, d))
    free = sizes is None
    stages = [(every[:FIRST], outputs, False, False), (every[FIRST:], outputs, False, False)]
    stages += [(every, 1, False, False)] if outputs is None and free else []
    stages += [(every, outputs, True, False)] if free else []
    stages += [(every, outputs, False, True)]
    for readings, widths, square, loose in stages:
        if not readings:
            continue
        for depth in first:
            case = probe_case(depth, widths, BATCHES[0], square, depth, sizes)
            fitting = _fitting(probes, case, readings, errors, depth, loose)
            if fitting:
                yield _Hit(depth, fitting, widths, square, loose)
                break  # the next stage, should this one be turned down


def _found(
    probes: _Probes,
    depths: list[int],
    outputs: int | None,
    names: dict[str, str | None],
    sizes: Sequence[int] | None,
    every: Sequence[Reading] = READINGS,
) -> Found | None:
    """The search; the reading found tried at every depth; the network from the loss (see the module). A hit that
    narrows the cases in more than one way at once (depths, one sample per call, one output) is turned down and the
    search goes on: a slip hidden by the narrowing looks like that (∂C/∂b summed over the wrong axis answers in
    shape only at one sample and one output)."""
    errors: dict[int, str] = {}
    for hit in _search(probes, depths, outputs, sizes, errors, every):
        found = _from_hit(probes, hit, (depths, outputs, sizes), names if len(every) > 1 else None, errors)
        if found is not None:
            return found
    return None


def _from_hit(
    probes: _Probes,
    hit: _Hit,
    asked: tuple[list[int], int | None, Sequence[int] | None],
    names: dict[str, str | None] | None,
    errors: dict[int, str],
) -> Found | None:
    """What a hit says your code does, or None when it narrows the cases in more than one way. `names` None: the
    layout was declared, and neither the network nor the cost is looked for."""
    depths, outputs, sizes = asked
    fitting, evidence = _by_loss(probes, hit, sizes, names) if names is not None else (hit.fitting, [])
    reading, order = fitting[0]
    others = [d for d in depths if d != hit.depth]
    tried = {d: probe_case(d, hit.outputs, BATCHES[0], False, d, sizes) for d in others}
    accepted = [hit.depth, *(d for d, case in tried.items() if _fitting(probes, case, [reading], errors, d, hit.loose))]
    refused, layers, structure_lines, square_only = _structures(probes, depths, accepted, (reading, order), errors, hit)
    convention = reading.convention(order)
    how = " on square widths only" if hit.square else " (its ∂C/∂b in another shape than b's)" if hit.loose else ""
    evidence = [*structure_lines, *_reading_lines(fitting, how), *evidence]
    ambiguous = tuple(dict.fromkeys(_picks(other) for other, _ in fitting[1:] if _judges_differently(other, reading)))
    narrowed = [layers is not None, reading.per_sample, outputs is None and hit.outputs == 1]
    if sum(narrowed) > 1 or (hit.square and ambiguous):  # square widths alone cannot tell W from Wᵀ: no finding
        return None
    if names is None:
        return Found(convention, layers, hit.outputs, None, refused, tuple(evidence))
    # the loss probes where a hidden layer shows (two weight layers or more), on distinct widths where it answers there
    wheres = [(d, False) for d in accepted if d >= 2 and not (d == hit.depth and hit.square)]
    wheres += [(hit.depth, hit.square)] if hit.depth >= 2 else []
    wheres += [(d, True) for d in square_only if d >= 2] + [(hit.depth, hit.square)]
    where = wheres[0]
    net_names, cost, lines = _network(probes, convention, where, hit.outputs, names, sizes)
    evidence += lines
    if cost is not None:
        convention = replace(convention, **cost)
    return Found(convention, layers, hit.outputs, net_names, refused, tuple(evidence), ambiguous)


def _by_loss(
    probes: _Probes, hit: _Hit, sizes: Sequence[int] | None, names: dict[str, str | None]
) -> tuple[list[tuple[Reading, str]], list[str]]:
    """Readings that fit the shapes alike but would judge differently (their samples' or weights' layout), told
    apart by the loss values: where exactly one of them costs like a network of the catalogue, it alone is kept
    (a code that zips its arrays runs, on nonsense, in a transposed reading too; square widths fit both)."""
    groups: dict[tuple[str, str], tuple[Reading, str]] = {}
    for r, order in hit.fitting:
        groups.setdefault((r.samples, r.weights), (r, order))
    if len(groups) < 2:
        return hit.fitting, []
    where = (hit.depth, hit.square)
    costing = [
        key for key, (r, order) in groups.items() if _network(probes, r.convention(order), where, hit.outputs, names, sizes)[0]
    ]
    if len(costing) != 1:
        return hit.fitting, []
    kept = [(r, order) for r, order in hit.fitting if (r.samples, r.weights) == costing[0]]
    said = f"of {len(groups)} layouts its code runs in, only samples={costing[0][0]}, weights={costing[0][1]} costs as a network"
    return kept, [said]


def _fitting(
    probes: _Probes, case: Case, readings: Sequence[Reading], errors: dict[int, str], depth: int, loose: bool = False
) -> list[tuple[Reading, str]]:
    """The readings (with the order of a pair) in which your code answers `case` in its parameters' shapes (with
    `loose`, the weights' alone); the first error it gave, kept in `errors` under `depth`."""
    got = probes.run([[("backward", edge.inputs(case, r.convention(), 0 if r.per_sample else None))] for r in readings])
    fits = []
    for r, (outcome,) in zip(readings, got):
        order = _fitting_order(outcome, case, r, loose)
        if order is not None:
            fits.append((r, order))
        elif depth not in errors and outcome.kind == "raised":
            errors[depth] = f"{outcome.error}: {outcome.message}"[:200]
    return fits


def _fitting_order(outcome: Outcome, case: Case, r: Reading, loose: bool = False) -> str | None:
    """The order in which your answer holds every gradient in its parameter's shape under reading `r` (with
    `loose`: every weight gradient, and one bias gradient per layer), or None."""
    if outcome.kind != "returned":
        return None
    for order in ("weights_first", "biases_first"):
        c = r.convention(order)
        try:
            parts = edge.parts_of(outcome.value, c)
            weights = edge.layers("weights", parts["weights"], case.network.L)
            biases = edge.layers("biases", parts["biases"], case.network.L)
        except ImplementationProblem:
            continue
        want_W = [W.shape if c.weights == "out_in" else W.shape[::-1] for W in case.network.weights]
        want_b = [edge.bias_out(b, c).shape for b in case.network.biases]
        if [W.shape for W in weights] == want_W and (loose or [b.shape for b in biases] == want_b):
            return order
        if not isinstance(outcome.value, (tuple, list)):
            return None  # a dict or a record has no order to try
    return None


def _structures(
    probes: _Probes, depths: Sequence[int], accepted: list[int], chosen: tuple[Reading, str], errors: dict[int, str], hit: _Hit
) -> tuple[dict[int, str], tuple[int, int] | None, list[str], list[int]]:
    """The depths your code does not accept (an architecture: no reading answers on distinct or square widths),
    the range drawn, the evidence, and the depths where it answers on square widths only (a slip of shape, left in
    the range for the sweep to find)."""
    reading, order = chosen
    refused: dict[int, str] = {}
    lines, square_only = [], []
    rejected = [d for d in depths if d not in accepted]
    if rejected:
        squares = {d: probe_case(d, hit.outputs, BATCHES[0], True, d) for d in rejected}
        calls = [
            [("backward", edge.inputs(case, reading.convention(), 0 if reading.per_sample else None))]
            for case in squares.values()
        ]
        for (d, case), (outcome,) in zip(squares.items(), probes.run(calls)):
            if _fitting_order(outcome, case, reading, hit.loose) == order:
                square_only.append(d)
                lines.append(f"{d} weight layer(s): it answers on square widths only (a slip of shape: left to the sweep)")
            else:
                refused[d] = errors.get(d, f"it answered {outcome.kind}")
                lines.append(f"{d} weight layer(s): it answers on no widths ({refused[d]})")
    kept = [d for d in depths if d not in refused]
    run = [kept[0]]
    for d in kept[1:]:
        if d != run[-1] + 1:
            break
        run.append(d)
    for d in kept[len(run) :]:
        refused[d] = "outside the range of depths it accepts next to the smallest"
    layers = (run[0], run[-1]) if refused else None
    return refused, layers, lines, square_only


def _reading_lines(common: list[tuple[Reading, str]], how: str = "") -> list[str]:
    r, order = common[0]
    said = f"it answers in the shapes of its parameters{how} when given {r.convention(order).describe().split(': ', 1)[1]}"
    others = f"; {len(common) - 1} other reading(s) fit as well" if len(common) > 1 else ""
    return [said + others]


def _judges_differently(other: Reading, chosen: Reading) -> bool:
    """Whether two readings that both fit would be judged differently: they differ in the samples' or the
    weights' layout (a code that takes its biases, its targets or its batch in any form is read as preferred)."""
    return (other.samples, other.weights) != (chosen.samples, chosen.weights)


def _picks(other: Reading) -> str:
    """The options that pick a reading's samples and weights (the derivation's: --samples columns --weights out_in)."""
    return f"--samples {other.samples} --weights {other.weights}"


FORMS: tuple[dict[str, Any], ...] = tuple(
    {"cost": cost, "half": half} for cost in ("mean", "sum", "elements") for half in (True, False)
)
"""The cost's forms, as Convention fields (without ½: the quadratic cost's alone)."""


def _network(
    probes: _Probes,
    c: Convention,
    where: tuple[int, bool],
    outputs: int | None,
    declared: dict[str, str | None],
    sizes: Sequence[int] | None,
) -> tuple[tuple[str, str, str] | None, dict[str, Any] | None, list[str]]:
    """The names, the cost's form and an L2 term whose cost equals the loss your code returns on probes of two
    batch sizes and two draws; from the loss values alone."""
    depth, square = where
    cases = [probe_case(depth, outputs, N, square, 100 + k, sizes) for k, N in enumerate((*BATCHES, BATCHES[0]))]
    losses = _your_losses(probes, c, cases)
    if any(v is None for v in losses):
        return None, None, ["it returns no loss (or not on every probe): the network and the cost are as declared"]
    if c.per_sample:
        cases = [Case(case.network, case.x[:, :1], case.y[:, :1]) for case in cases]
    matches = _matching(cases, [float(v) for v in losses if v is not None], declared)
    if not matches:
        return None, None, ["its loss values match no network and cost of the catalogue: they are as declared"]
    names, cost = matches[0]
    more = f"; {len(matches) - 1} other(s) also fit, the nearest to the derivation's chosen" if len(matches) > 1 else ""
    lines = [f"its loss values are those of {'/'.join(names)} with {cost}{more}"]
    if names[2] in ("binary_cross_entropy", "cross_entropy"):
        clip, said = _clip(probes, replace(c, **cost), names, cases[0])
        lines.append(said)
        if clip:
            cost = {**cost, "clip": clip}
        if c.targets == "probabilities":
            hard, said = _hard_targets(probes, replace(c, **cost), names, cases[0])
            lines.append(said)
            if hard:
                cost = {**cost, "targets": hard}
    return names, cost, lines


def _hard_targets(probes: _Probes, c: Convention, names: tuple[str, str, str], typical: Case) -> tuple[str, str]:
    """Whether your code reads its targets as hard ones (one-hot by their argmax, 0/1 by rounding): its loss on
    soft targets against the cost of the soft and of the hardened targets."""
    rng = np.random.default_rng(7)
    n, N = typical.y.shape
    soft = rng.dirichlet(np.ones(n), N).T if names[2] == "cross_entropy" else rng.uniform(0.05, 0.95, (n, N))
    soft = np.where(np.abs(soft - 0.5) < 0.05, 0.3, soft)  # no target where rounding is a coin's toss
    hard = np.eye(n)[:, np.argmax(soft, axis=0)] if names[2] == "cross_entropy" else np.round(soft)
    if n == 1 and names[2] == "cross_entropy":
        return "", "one output: its targets are one-hot whatever they are given as"
    case = Case(typical.network, typical.x, soft, origin="probe, soft targets")
    (yours,) = _your_losses(probes, c, [case])
    if yours is None:
        return "", "on soft targets it returns no loss: its targets are read as given"
    hidden, output, loss = names
    ours = Network(typical.network.weights, typical.network.biases, activation=hidden, output_activation=output, loss=loss)
    with np.errstate(all="ignore"):
        a = np.clip(ours.forward(case.x)[1][-1], c.clip, 1 - c.clip) if c.clip else ours.forward(case.x)[1][-1]
        factor, l2 = c.factor(case.x.shape[1], n), _l2_term(c, case)
        as_given, hardened = (factor * _cost(ours, a, y) + l2 for y in (soft, hard))
    if abs(as_given - yours) <= 1e-7 * max(1.0, abs(yours)):
        return "", "on soft targets its loss is the cost of the targets as given"
    if abs(hardened - yours) <= 1e-7 * max(1.0, abs(yours)):
        word = "one_hot" if names[2] == "cross_entropy" else "binary"
        return word, f"on soft targets its loss is the cost of the targets made hard: targets={word}"
    return "", "on soft targets its loss matches neither the targets as given nor made hard"


CLIPS = (1e-15, 1e-12, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
"""The clips of a log loss's argument tried, on outputs saturated past each."""


def _clip(probes: _Probes, c: Convention, names: tuple[str, str, str], typical: Case) -> tuple[float, str]:
    """The clip of a log loss's argument your code applies: its loss on a probe whose outputs saturate (the last
    layer's weights and biases ×60) against the catalogue's cost on the outputs clipped at each of CLIPS."""
    net = typical.network
    weights = [*net.weights[:-1], 60 * net.weights[-1]]
    biases = [*net.biases[:-1], 60 * net.biases[-1]]
    case = Case(Network(weights, biases), typical.x, typical.y, origin="probe, saturated outputs")
    (yours,) = _your_losses(probes, c, [case])
    if yours is None or not np.isfinite(yours):
        return 0.0, "on saturated outputs its loss is not a finite number: no clip"
    hidden, output, loss = names
    ours = Network(weights, biases, activation=hidden, output_activation=output, loss=loss)
    with np.errstate(all="ignore"):
        a = ours.forward(case.x)[1][-1]
        l2 = _l2_term(c, case)
        for clip in (0.0, *CLIPS):
            kept = np.clip(a, clip, 1 - clip) if clip else a
            cost = c.factor(case.x.shape[1], a.shape[0]) * _cost(ours, kept, case.y) + l2
            if np.isfinite(cost) and abs(cost - yours) <= 1e-7 * max(1.0, abs(yours)):
                return (
                    clip,
                    f"on saturated outputs its loss is the cost {'clipped at ' + format(clip, 'g') if clip else 'unclipped'}",
                )
    return 0.0, "on saturated outputs its loss matches no clip tried (declare yours: --clip)"


def _your_losses(probes: _Probes, c: Convention, cases: list[Case]) -> list[float | None]:
    """The loss your code returns on each case, read in convention `c` (None where it gives none)."""
    got = probes.run([[("backward", edge.inputs(case, c, 0 if c.per_sample else None))] for case in cases])
    losses: list[float | None] = []
    for (outcome,) in got:
        try:
            parts = edge.parts_of(outcome.value, c) if outcome.kind == "returned" else {}
            losses.append(edge.loss_of(parts["loss"]) if "loss" in parts else None)
        except ImplementationProblem:
            losses.append(None)
    return losses


def _cost(net: Network, a: np.ndarray, y: np.ndarray) -> float:
    """The catalogue's cost of `net` on outputs `a` (inf where the reference refuses an infinite log)."""
    try:
        return float(net.loss.cost(a, y))
    except ValueError:
        return float("inf")


def _l2_term(c: Convention, case: Case) -> float:
    """Your cost's L2 term on `case`, as found."""
    squares = sum(float(np.sum(W**2)) for W in case.network.weights)
    coefficient = {"reg": c.l2, "lambda/2": c.l2 / 2, "lambda/2n": c.l2 / (2 * case.x.shape[1])}[c.l2_form]
    return coefficient * squares if c.l2 else 0.0


def _matching(
    cases: list[Case], yours: list[float], declared: dict[str, str | None]
) -> list[tuple[tuple[str, str, str], dict[str, Any]]]:
    """Every (names, cost fields) whose cost equals yours on every case, the fewest changes from the
    derivation's (sigmoid, quadratic, the mean with ½) first."""
    found = []
    squares = [sum(float(np.sum(W**2)) for W in case.network.weights) for case in cases]
    outputs: dict[tuple[str, str], list[np.ndarray]] = {}  # each forward pass once, for every loss
    for hidden, output, loss in _candidates(declared):
        costs = []
        try:
            for k, case in enumerate(cases):
                net = Network(case.network.weights, case.network.biases, activation=hidden, output_activation=output, loss=loss)
                net.loss.check_targets(case.y)
                with np.errstate(all="ignore"):
                    if (hidden, output) not in outputs:
                        outputs[hidden, output] = [
                            Network(c.network.weights, c.network.biases, activation=hidden, output_activation=output).forward(
                                c.x
                            )[1][-1]
                            for c in cases
                        ]
                    costs.append(float(net.loss.cost(outputs[hidden, output][k], case.y)))
        except (ValueError, TypeError, FloatingPointError):
            continue
        for form in FORMS:
            if not form["half"] and loss != "quadratic":
                continue
            fitted = _fitted(cases, costs, squares, yours, Convention("form", **form))
            if fitted is not None:
                found.append(((hidden, output, loss), {**form, **fitted}))
    default = ("sigmoid", "sigmoid", "quadratic")
    return sorted(found, key=lambda m: (sum(a != b for a, b in zip(m[0], default)), m[1]["cost"] != "mean", not m[1]["half"]))


def _fitted(
    cases: list[Case], costs: list[float], squares: list[float], yours: list[float], form: Convention
) -> dict[str, Any] | None:
    """{} when your loss is `form`'s cost on every case; the L2 fields when it is that cost plus c·ΣW² with one
    c (reg) or one λ/(2N) (lambda/2n); else None."""
    residuals = []
    for case, cost, mine in zip(cases, costs, yours):
        N, n_L = case.x.shape[1], case.network.sizes[-1]
        ours = form.factor(N, n_L) * cost
        if not np.isfinite(ours) or not np.isfinite(mine):
            return None
        residuals.append(mine - ours)
    scale = max(1.0, *(abs(v) for v in yours))
    if all(abs(r) <= 1e-9 * scale for r in residuals):
        return {}
    if not all(r > 0 for r in residuals):
        return None
    per = [r / s for r, s in zip(residuals, squares)]
    if np.allclose(per, per[0], rtol=1e-7, atol=0):
        return {"l2": float(f"{per[0]:.10g}"), "l2_form": "reg"}  # 0.05, not 0.04999999999999998
    lam = [2 * case.x.shape[1] * p for case, p in zip(cases, per)]
    if np.allclose(lam, lam[0], rtol=1e-7, atol=0):
        return {"l2": float(f"{lam[0]:.10g}"), "l2_form": "lambda/2n"}
    return None


def _candidates(declared: dict[str, str | None]) -> list[tuple[str, str, str]]:
    """The catalogue's valid (hidden, output, loss), those the declaration fixes held fixed."""
    hidden = [n for n, entry in ACTIVATIONS.items() if entry.elementwise]
    out = []
    for h, o, l in itertools.product(hidden, ACTIVATIONS, LOSSES):
        if LOSSES[l].output is not None and LOSSES[l].output != o:
            continue
        if any(
            declared.get(key) not in (None, value) for key, value in zip(("activation", "output_activation", "loss"), (h, o, l))
        ):
            continue
        out.append((h, o, l))
    return out
