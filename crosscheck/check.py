"""The pipeline: cases → the implementation under test → the oracles → the judge → a result.

    check_cases(cases, oracles, implementation=REFERENCE)

1. The cases are grouped into stacks (`crosscheck.case.stacks`: one depth, batch size,
   activations, loss and dtype; padded to the widest).
2. The implementation under test runs case by case (default: the reference), and its
   results are placed into the stack's layout.
3. The error scale S of every element is computed per stack (`crosscheck.scales`).
4. Each oracle computes every stack (`crosscheck.oracles`).
5. The judge (`crosscheck.judge.judge`) rules on every real element; per case, the
   largest |diff|/tol.
6. A case over 1 is run again through the same steps as a stack of one (nothing
   padded), and that result, with its report, is the answer. Padding adds exact zeros,
   but a padded matmul may sum in another order, so an oracle's value can differ in the
   last bits; a case flagged in a stack that passes alone is kept in `ManyCheck.cleared`.

`check_case` is the same pipeline on one case; the certificate runs it on stacks of
one structure (`stack_judgements`). Results render as text (`report`), Markdown
(`markdown`) and JSON-ready dicts (`as_dict`), and raise on request (`assert_ok`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crosscheck import counterparts
from crosscheck import oracles as _oracles
from crosscheck.case import REFERENCE, Case, Implementation, ImplementationProblem, Stack, stacks
from crosscheck.diagnosis import Diagnosis, diagnose
from crosscheck.judge import QUANTITIES, Judged, TensorCheck, join, judge, mismatch_line, problem, symbol
from crosscheck.scales import magnitudes, stack_magnitudes
from crosscheck.tolerances import AUTOGRAD_KIND, Tolerance, tolerance
from reference import Gradients, Network

DEFAULT_MANY = ("torch", "jax")
"""The oracles `check_cases` runs unless told otherwise: the two autograd frameworks."""


# --- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """The implementation under test against one oracle, for one case."""

    oracle: str
    kind: str
    dtype: np.dtype
    tolerance: Tolerance
    tensors: tuple[TensorCheck, ...]
    case: Case | None = None
    who: str = REFERENCE.name
    """How the report names the implementation under test."""
    implementation: Implementation = REFERENCE
    values: Gradients | None = None
    """The oracle's own gradients, where the pipeline computed them (for the diagnosis)."""

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tensors)

    @property
    def mismatches(self) -> list[TensorCheck]:
        return [t for t in self.tensors if not t.ok]

    @property
    def worst_ratio(self) -> float:
        """The largest |diff| / tol over every element (≤ 1 when everything passes)."""
        return max((t.ratio for t in self.tensors), default=0.0)

    @property
    def worst(self) -> TensorCheck:
        """The tensor whose worst element is farthest out."""
        return max(self.tensors, key=lambda t: t.ratio)

    def report(self, reproduce: bool = True) -> str:
        """One line per tensor off, then the reproduction snippet."""
        if self.ok:
            return f"{self.who} and {self.oracle} agree ({self.kind}, worst |diff|/tol {self.worst_ratio:.2g})"
        label = f" {self.case.label}" if self.case is not None else ""
        lines = [mismatch_line(t, [self.oracle], self.who) + label for t in self.mismatches]
        if reproduce and self.case is not None:
            check = self.implementation.check_call([self.oracle])
            lines += ["", "Rebuild the case:", "", self.case.reproduction(check, self.implementation.setup)]
        return "\n".join(lines)

    def assert_ok(self) -> Comparison:
        """This comparison, or AssertionError with the report when any element is off."""
        if not self.ok:
            raise AssertionError(self.report())
        return self


@dataclass(frozen=True)
class CaseCheck:
    """The implementation under test against several oracles on one case."""

    case: Case
    tested: Gradients
    comparisons: dict[str, Comparison]
    who: str = REFERENCE.name
    implementation: Implementation = REFERENCE

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.comparisons.values())

    @property
    def worst(self) -> dict[str, float]:
        """Per oracle: the largest |diff|/tol (≤ 1 passes)."""
        return {name: c.worst_ratio for name, c in self.comparisons.items()}

    def verdict(self) -> str:
        """Who agrees with whom: several oracles against the implementation blame it (unless
        the difference is a convention, which the diagnosis recognises)."""
        against = [name for name, c in self.comparisons.items() if not c.ok]
        agree = [name for name, c in self.comparisons.items() if c.ok]
        if not against:
            return f"{self.who} agrees with {join(agree)}"
        found = self.diagnosis()
        if found is not None and found.convention and not agree:
            return f"{join(against)} all differ from {self.who} by a convention, not an error in the derivation"
        hand = {name: counterparts.hand_written(_oracles.ORACLES[name].framework, self.case.names) for name in against}
        if not agree and all(hand.values()):
            # Every dissenting oracle computes with an expression written in crosscheck/counterparts.py for
            # some entry of this case: the counterparts and the implementation disagree; who is wrong is open.
            entries = sorted({e for names in hand.values() for e in names})
            errors = "; ".join(
                f"{name}: |diff| {c.worst.difference:.1e} against tol {c.worst.tolerance:.1e}"
                for name, c in ((n, self.comparisons[n]) for n in against)
            )
            return (
                f"{join(against)} disagree with {self.who}, but each rests on hand-written counterparts "
                f"({', '.join(entries)}), not framework built-ins: the counterparts and {self.who} disagree, and either "
                f"may be the one that is off ({errors}); check the counterparts against an independent computation"
            )
        if len(against) >= 2 and not agree:
            return f"{join(against)} all disagree with {self.who}: {self.who} is wrong"
        if len(against) >= 2:
            return (
                f"{join(against)} disagree with {self.who} while {join(agree)} agree(s) "
                "with it: look at what the disagreeing oracles share"
            )
        if agree:
            return (
                f"only {against[0]} disagrees with {self.who}; {join(agree)} agree(s) "
                f"with it: suspect the {against[0]} oracle or its tolerance"
            )
        return f"{against[0]} disagrees with {self.who} (the only oracle that ran)"

    def mismatch_lines(self) -> list[str]:
        """One line per tensor off, the oracles that fail on it grouped."""
        by_tensor: dict[tuple[str, int | None], list[tuple[str, TensorCheck]]] = {}
        for name, comparison in self.comparisons.items():
            for t in comparison.mismatches:
                by_tensor.setdefault((t.quantity, t.layer), []).append((name, t))
        lines = []
        for entries in by_tensor.values():
            worst = max(entries, key=lambda e: e[1].ratio)[1]
            lines.append(mismatch_line(worst, [n for n, _ in entries], self.who) + " " + self.case.label)
        return lines

    def reproduction(self) -> str:
        check = self.implementation.check_call(list(self.comparisons))
        return self.case.reproduction(check, self.implementation.setup)

    def diagnosis(self) -> Diagnosis | None:
        """The equation implicated and the slip it looks like (None when everything agrees),
        from the first failing autograd oracle (finite differences when it is the only one)."""
        failing = [c for c in self.comparisons.values() if not c.ok]
        if not failing:
            return None
        chosen = next((c for c in failing if c.kind == AUTOGRAD_KIND), failing[0])
        return diagnose(self.case, self.tested, chosen.tensors, chosen.values)

    def report(self) -> str:
        if self.ok:
            return self.verdict()
        found = self.diagnosis()
        explained = [found.text(self.who)] if found is not None and found.text(self.who) else []
        return "\n".join([*self.mismatch_lines(), self.verdict(), *explained, "", "Rebuild the case:", "", self.reproduction()])

    def markdown(self) -> str:
        if self.ok:
            return f"**{self.verdict()}** {self.case.label}"
        found = self.diagnosis()
        lines = [f"**{self.verdict()}**", "", *(f"- {line}" for line in self.mismatch_lines())]
        if found is not None and found.text(self.who):
            lines += ["", found.text(self.who)]
        return "\n".join([*lines, "", "Rebuild the case:", "", "```python", self.reproduction(), "```"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case.label,
            "ok": self.ok,
            "verdict": self.verdict(),
            "worst_ratio": self.worst,
            "mismatches": self.mismatch_lines(),
            "diagnosis": None if self.ok else _diagnosis_dict(self.diagnosis()),
            "reproduction": None if self.ok else self.reproduction(),
        }

    def assert_ok(self) -> CaseCheck:
        """This result, or AssertionError with the full report on any mismatch."""
        if not self.ok:
            raise AssertionError(self.report())
        return self


@dataclass(frozen=True)
class ManyCheck:
    """The implementation under test against several oracles on many cases."""

    cases: list[Case]
    oracles: tuple[str, ...]
    worst: dict[str, np.ndarray]
    """Per oracle, per case: the largest |diff|/tol over every element (≤ 1 passes)."""
    failures: list[CaseCheck]
    """Every case flagged in its stack that fails when checked alone."""
    cleared: list[int]
    """Cases flagged in a padded stack that pass alone (empty unless padding leaks)."""
    who: str = REFERENCE.name

    @property
    def ok(self) -> bool:
        return not self.failures

    def report(self) -> str:
        if self.ok:
            worst = ", ".join(f"{name} {self.worst[name].max(initial=0.0):.2g}" for name in self.oracles)
            cleared = f"; {len(self.cleared)} flagged in a padded group passed alone" if self.cleared else ""
            return (
                f"{self.who} agrees with {join(list(self.oracles))} on all {len(self.cases)} cases "
                f"(worst |diff|/tol: {worst}{cleared})"
            )
        return f"{len(self.failures)} of {len(self.cases)} cases fail; the first:\n\n{self.failures[0].report()}"

    def markdown(self) -> str:
        if self.ok:
            return f"**{self.report()}**"
        return f"**{len(self.failures)} of {len(self.cases)} cases fail**; the first:\n\n{self.failures[0].markdown()}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": len(self.cases),
            "oracles": list(self.oracles),
            "ok": self.ok,
            "worst_ratio": {name: float(self.worst[name].max(initial=0.0)) for name in self.oracles},
            "failures": [f.as_dict() for f in self.failures],
            "cleared": self.cleared,
        }

    def assert_ok(self) -> ManyCheck:
        """This result, or AssertionError with the first failing case's full report."""
        if not self.ok:
            raise AssertionError(self.report())
        return self


# --- judging stacks ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One stacked tensor (or the loss) of the implementation, judged against one oracle."""

    quantity: str
    layer: int | None
    tested: np.ndarray
    oracle: np.ndarray
    judged: Judged
    real: np.ndarray | None
    """Where the real entries are (None: all of them)."""


@dataclass(frozen=True)
class StackJudgement:
    """One oracle against the implementation on the first `count` cases of a stack."""

    oracle: str
    kind: str
    tolerance: Tolerance
    sizes: np.ndarray
    entries: list[Entry]
    computed: Gradients
    """The oracle's stacked gradients (every quantity, judged or not: the diagnosis reads them)."""

    def per_case(self) -> np.ndarray:
        """The largest |diff|/tol per case, over the loss and every real element."""
        worst = np.zeros(len(self.sizes))
        for entry in self.entries:
            ratio = entry.judged.ratio if entry.real is None else np.where(entry.real, entry.judged.ratio, 0.0)
            np.maximum(worst, ratio.reshape(len(worst), -1).max(axis=1, initial=0.0), out=worst)
        return worst

    def per_layer(self) -> np.ndarray:
        """The largest |diff|/tol at the loss (index 0) and over δ^l, ∂C/∂W^l, ∂C/∂b^l (index l − 1)."""
        worst = np.zeros(len(self.sizes[0]))
        for entry in self.entries:
            ratio = entry.judged.ratio if entry.real is None else np.where(entry.real, entry.judged.ratio, 0.0)
            index = 0 if entry.layer is None else entry.layer - 1
            worst[index] = max(worst[index], float(ratio.max(initial=0.0)))
        return worst

    def relative(self) -> np.ndarray:
        """Every inexact, finite |diff|/tol of a real element (for the distribution plot)."""
        parts = []
        for entry in self.entries:
            ratio = (
                entry.judged.ratio
                if entry.real is None
                else entry.judged.ratio[np.broadcast_to(entry.real, entry.judged.ratio.shape)]
            )
            parts.append(ratio[np.isfinite(ratio) & (ratio > 0)])
        return np.concatenate(parts)

    def values(self, k: int) -> Gradients:
        """The oracle's own gradients of case k, at its own sizes (all of them, judged or not)."""
        n = self.sizes[k].tolist()
        g = self.computed
        return Gradients(
            loss=float(np.asarray(g.loss)[k]),
            deltas=[d[k, :rows] for d, rows in zip(g.deltas, n[1:])],
            weights=[W[k, :rows, :columns] for W, rows, columns in zip(g.weights, n[1:], n)],
            biases=[b[k, :rows] for b, rows in zip(g.biases, n[1:])],
        )

    def tensors(self, k: int) -> tuple[TensorCheck, ...]:
        """Case k's TensorChecks, at its own sizes."""
        n = self.sizes[k].tolist()
        checks = []
        for e in self.entries:
            if e.layer is None:
                part: Any = k
            elif e.quantity == "weights":
                part = (k, slice(n[e.layer - 1]), slice(n[e.layer - 2]))
            else:
                part = (k, slice(n[e.layer - 1]))
            j = e.judged
            judged = Judged(j.difference[part], j.allowed[part], j.ratio[part], j.skipped[part])
            checks.append(TensorCheck.of(e.quantity, e.layer, e.tested[part], e.oracle[part], judged))
        return tuple(checks)


def judge_stacked(
    tested: Gradients,
    oracle: Gradients,
    scales: Gradients,
    tol: Tolerance,
    kind: str,
    *,
    error: Gradients | None = None,
    stack: Stack | None = None,
    count: int | None = None,
    name: str = "oracle",
    provides: tuple[str, ...] = QUANTITIES,
) -> StackJudgement:
    """The judge on every element of stacked gradients (leading case axis; loss (K,)),
    the first `count` cases; `stack` marks the real entries of a padded stack. `scales`
    may hold any arrays that broadcast (a scalar per tensor). Only the quantities in
    `provides` are judged (an implementation may give no loss or no δ)."""
    K = count if count is not None else np.asarray(oracle.loss).shape[0]
    padded = stack is not None and not stack.uniform
    cost = np.asarray(scales.loss, dtype=np.float64)
    cost = np.broadcast_to(cost[:K] if cost.ndim else cost, (K,))
    # Every tensor's first K cases, flattened per case and side by side, so that the judge
    # rules on all of them in one call; each entry then views its own columns.
    parts: list[tuple[str, int | None, np.ndarray, np.ndarray, Any, Any]] = []
    if "loss" in provides:
        loss_error = 0.0 if error is None else np.asarray(error.loss)[:K]
        parts.append(("loss", None, np.asarray(tested.loss)[:K], np.asarray(oracle.loss)[:K], cost, loss_error))
    for quantity in [q for q in QUANTITIES[1:] if q in provides]:
        for layer, (t, o, sc) in enumerate(zip(getattr(tested, quantity), getattr(oracle, quantity), getattr(scales, quantity))):
            sc = np.asarray(sc)
            e = 0.0 if error is None else getattr(error, quantity)[layer][:K]
            parts.append((quantity, layer + 2, t[:K], o[:K], sc[:K] if sc.ndim else sc, e))
    shapes = [t.shape for _, _, t, _, _, _ in parts]
    widths = [int(np.prod(shape[1:], dtype=int)) for shape in shapes]

    def side_by_side(values: list[Any], dtype: Any = None) -> np.ndarray:
        return np.concatenate(
            [
                np.broadcast_to(np.asarray(v, dtype=dtype), shape).reshape(K, width)
                for v, shape, width in zip(values, shapes, widths)
            ],
            axis=1,
        )

    judged = judge(
        side_by_side([p[2] for p in parts]),
        side_by_side([p[3] for p in parts]),
        scale=side_by_side([p[4] for p in parts], np.float64),
        cost_scale=cost[:, None],
        tolerance=tol,
        kind=kind,
        error=side_by_side([p[5] for p in parts], np.float64) if error is not None else 0.0,
    )
    entries = []
    start = 0
    for (quantity, at, t, o, _, _), shape, width in zip(parts, shapes, widths):
        columns = slice(start, start + width)
        start += width
        own = Judged(
            *(array[:, columns].reshape(shape) for array in (judged.difference, judged.allowed, judged.ratio, judged.skipped))
        )
        real = stack.real(quantity, at - 2)[:K] if padded and stack is not None and at is not None else None
        entries.append(Entry(quantity, at, t, o, own, real))
    sizes = stack.sizes[:K] if stack is not None else _sizes(oracle)
    return StackJudgement(name, kind, tol, sizes, entries, oracle)


def _sizes(stacked: Gradients) -> np.ndarray:
    """(K, L) sizes of unpadded stacked gradients."""
    K = np.asarray(stacked.loss).shape[0]
    n = (stacked.weights[0].shape[2], *(W.shape[1] for W in stacked.weights))
    return np.tile(np.array(n), (K, 1))


def stack_judgements(
    stacks_: Sequence[Stack],
    oracles: Sequence[str],
    implementation: Implementation = REFERENCE,
    shares: bool = False,
    tested: list[Gradients] | None = None,
    provides: list[tuple[str, ...]] | None = None,
) -> list[dict[str, StackJudgement]]:
    """Steps 2-5 of the pipeline for each stack: the implementation, the scales, each oracle
    (all stacks of an oracle in one call), the judge. With `shares`, each oracle checks only
    its share of each stack's cases (the first ones; `Oracle.share`), as the certificate does.
    `tested`: the implementation's stacked results, when already computed, and `provides`
    what they give."""
    chosen = _oracles.lookup(oracles)
    if tested is None:
        answers = [[implementation.backward(case) for case in stack.cases()] for stack in stacks_]
        tested = [stack.stacked(a) for stack, a in zip(stacks_, answers)]
        provides = [implementation.given(a[0]) for a in answers]
    scales = [stack_magnitudes(stack) for stack in stacks_]
    results: list[dict[str, StackJudgement]] = [{} for _ in stacks_]
    if provides is None:
        provides = [implementation.provides or QUANTITIES for _ in stacks_]
    for oracle in chosen:
        oracle.require()
        counts = [max(1, round(stack.K * oracle.share)) if shares else stack.K for stack in stacks_]
        subsets = [stack if c == stack.K else stack.first(c) for stack, c in zip(stacks_, counts)]
        computed = oracle.compute(subsets)
        for i, (stack, (gradients, error)) in enumerate(zip(stacks_, computed)):
            tol = oracle.tolerance(stack.dtype)
            results[i][oracle.name] = judge_stacked(
                tested[i],
                gradients,
                scales[i],
                tol,
                oracle.kind,
                error=error,
                stack=stack,
                count=counts[i],
                name=oracle.name,
                provides=provides[i],
            )
    return results


# --- the public checks ------------------------------------------------------------------------
def check_case(case: Case, oracles: Sequence[str] | None = None, *, implementation: Implementation = REFERENCE) -> CaseCheck:
    """The implementation under test (default: the reference) and each named oracle (default:
    all) on `case`, every element judged; `.ok`, `.report()`, `.assert_ok()`."""
    if not isinstance(case, Case):
        raise TypeError(f"case must be a crosscheck.Case, got {type(case).__name__}")
    names = [o.name for o in _oracles.lookup(oracles)]
    who = implementation.name
    try:
        tested = implementation.backward(case)
        problems = _structure(case, tested, who, implementation.given(tested))
    except ImplementationProblem as problem:
        tested = Gradients(loss=np.nan, deltas=[], weights=[], biases=[])
        problems = (TensorCheck.structural("weights", str(problem)),)
    if problems:
        dtype = case.network.dtype
        comparisons = {
            name: Comparison(
                name, _oracles.ORACLES[name].kind, dtype, tolerance(AUTOGRAD_KIND, dtype), problems, case, who, implementation
            )
            for name in names
        }
        return CaseCheck(case, tested, comparisons, who, implementation)
    stack = Stack.of([case])
    judged = stack_judgements(
        [stack], names, implementation, tested=[stack.stacked([tested])], provides=[implementation.given(tested)]
    )[0]
    comparisons = {
        name: Comparison(name, j.kind, case.network.dtype, j.tolerance, j.tensors(0), case, who, implementation, j.values(0))
        for name, j in judged.items()
    }
    return CaseCheck(case, tested, comparisons, who, implementation)


def check_cases(
    cases: Sequence[Case], oracles: Sequence[str] = DEFAULT_MANY, *, implementation: Implementation = REFERENCE
) -> ManyCheck:
    """`check_case` for every case, many cases per framework call (see the module)."""
    names = tuple(o.name for o in _oracles.lookup(oracles))
    cases = list(cases)
    if not cases:
        raise ValueError("cases is empty: a check that compares nothing cannot fail; give at least one Case")
    for i, case in enumerate(cases):
        if not isinstance(case, Case):
            raise TypeError(f"cases[{i}] must be a crosscheck.Case, got {type(case).__name__}")
    if implementation is REFERENCE and all(type(case.network) is Network for case in cases):
        # The reference runs over each stack at once: the same backward, on arrays with a
        # leading case axis (`reference.network`); padding adds exact zeros, as for the oracles.
        groups = stacks(cases)
        tested = [reference_over(stack) for _, stack in groups]
        judged = stack_judgements([stack for _, stack in groups], names, implementation, tested=tested)
        return _many(cases, names, groups, judged, [], implementation)
    # The implementation runs on the cases as given (a mutant of the reference stays a mutant).
    # A case it cannot answer in the right structure goes straight to check_case, for the report.
    answers: dict[int, Gradients] = {}
    unjudged: list[int] = []
    for i, case in enumerate(cases):
        try:
            answer = implementation.backward(case)
        except ImplementationProblem:
            unjudged.append(i)
            continue
        if _structure(case, answer, implementation.name, implementation.given(answer)):
            unjudged.append(i)
        else:
            answers[i] = answer
    groups = stacks([cases[i] for i in answers])
    positions = list(answers)
    groups = [([positions[j] for j in members], stack) for members, stack in groups]
    tested = [stack.stacked([answers[i] for i in members]) for members, stack in groups]
    provides = [implementation.given(answers[members[0]]) for members, _ in groups]
    judged = stack_judgements([stack for _, stack in groups], names, implementation, tested=tested, provides=provides)
    return _many(cases, names, groups, judged, unjudged, implementation)


def reference_over(stack: Stack) -> Gradients:
    """The reference over a stack: `Network.backward` on the arrays with their leading case
    axis, once per output width (padded hidden and input neurons reach nothing but zero
    weights; a padded output row would reach the cost, so there are none)."""
    hidden, output, loss = stack.names
    K, outputs = stack.K, stack.sizes[:, -1]
    last = len(stack.weights) - 1
    found = Gradients(
        loss=np.zeros(K),
        deltas=[np.zeros((K, W.shape[1], stack.N), stack.dtype) for W in stack.weights],
        weights=[np.zeros_like(W) for W in stack.weights],
        biases=[np.zeros_like(b) for b in stack.biases],
    )
    for n_L in np.unique(outputs).tolist():
        k = np.flatnonzero(outputs == n_L)
        rows = [slice(None)] * last + [slice(0, n_L)]
        network = Network(
            [W[k, r] for W, r in zip(stack.weights, rows)],
            [b[k, r] for b, r in zip(stack.biases, rows)],
            activation=hidden,
            output_activation=output,
            loss=loss,
        )
        g = network.backward(stack.x[k], stack.y[k, :n_L])
        found.loss[k] = g.loss  # type: ignore[index]
        for quantity in ("deltas", "weights", "biases"):
            for placed, got, r in zip(getattr(found, quantity), getattr(g, quantity), rows):
                placed[k, r] = got
    return found


def _many(
    cases: list[Case],
    names: tuple[str, ...],
    groups: list[tuple[list[int], Stack]],
    judged: list[dict[str, StackJudgement]],
    unjudged: list[int],
    implementation: Implementation,
) -> ManyCheck:
    """Steps 5-6: per case, the largest |diff|/tol; a case over 1 run again alone for its report."""
    worst = {name: np.zeros(len(cases)) for name in names}
    for (members, _), by_oracle in zip(groups, judged):
        for name, judgement in by_oracle.items():
            worst[name][members] = judgement.per_case()
    for name in names:
        worst[name][unjudged] = np.inf
    flagged = sorted({int(i) for name in names for i in np.flatnonzero(~(worst[name] <= 1))})
    failures, cleared = [], []
    for i in flagged:
        alone = check_case(cases[i], names, implementation=implementation)
        if alone.ok:
            cleared.append(i)
        else:
            failures.append(alone)
    return ManyCheck(cases, names, worst, failures, cleared, implementation.name)


def step_check(case: Case, oracle: str, learning_rate: float = 0.5, *, implementation: Implementation = REFERENCE) -> Comparison:
    """One update by the implementation under test against the oracle's update.

    torch takes one `torch.optim.SGD` step and jax one `jax.grad` step; the other oracles
    apply W − η ∂C/∂W to their gradients. Each element is judged at the scale
    |W| + η S(∂C/∂W): the old value's rounding plus the gradient's, scaled by the step.
    """
    (chosen,) = _oracles.lookup([oracle])
    chosen.require()
    network = case.network
    if implementation.step is None:
        raise ValueError(f"{implementation.name} has no update to check: give one (update=...)")
    tested = implementation.step(case, learning_rate)
    S = magnitudes(case)
    tol = chosen.tolerance(network.dtype)
    # An oracle with its own error estimate (finite differences) adds η times it, and η times
    # its cost term, to each element's allowed error: its W − η g carries that error.
    extra: Gradients | None = None
    if chosen.sgd_step is not None:
        expected = chosen.sgd_step(case, learning_rate)[0]
    else:
        stack = Stack.of([case])
        stacked, error = chosen.compute([stack])[0]
        g = stack.unstacked(stacked, 0)
        eta = network.dtype.type(learning_rate)
        expected = (
            [W - eta * dW for W, dW in zip(network.weights, g.weights)],
            [b - eta * db for b, db in zip(network.biases, g.biases)],
        )
        extra = None if error is None else stack.unstacked(error, 0)
    checks = []
    for quantity, old, new, want, scale, error_of in zip(
        ("W", "b"),
        (network.weights, network.biases),
        tested,
        expected,
        (S.weights, S.biases),
        ("weights", "biases"),
    ):
        for l, (p, t, o, s) in enumerate(zip(old, new, want, scale), start=2):
            own = 0.0 if extra is None else learning_rate * (getattr(extra, error_of)[l - 2] + tol.cost_rtol * S.loss)
            judged = judge(
                t, o, scale=np.abs(p.astype(np.float64)) + learning_rate * s, tolerance=tol, kind=chosen.kind, error=own
            )
            checks.append(TensorCheck.of(quantity, l, t, o, judged))
    return Comparison(oracle, chosen.kind, network.dtype, tol, tuple(checks), case, implementation.name, implementation)


def compare(
    tested: Gradients,
    oracle: Gradients,
    *,
    case: Case | None = None,
    scales: Gradients | None = None,
    oracle_error: Gradients | None = None,
    oracle_name: str = "oracle",
    kind: str = AUTOGRAD_KIND,
    tolerances: Tolerance | None = None,
    who: str = REFERENCE.name,
) -> Comparison:
    """Judge every element of two sets of gradients for one case (loss, δ^l, ∂C/∂W^l, ∂C/∂b^l).

    `case` (or precomputed `scales`) gives each element its error scale (`crosscheck.scales`):
    without one, the comparison would have to judge each tensor by its own largest element,
    which cries wolf on correct float32 code, so it is refused. `oracle_error`, an oracle's
    own error estimate per element, is added to the tolerance; `kind` picks the tolerance
    table and `tolerances` overrides it.
    """
    for name, value in (("tested", tested), ("oracle", oracle)):
        if not isinstance(value, Gradients):
            raise TypeError(f"{name} must be a reference.Gradients, got {type(value).__name__}")
        if isinstance(value.loss, bool) or not isinstance(value.loss, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}.loss must be a number, got {type(value.loss).__name__}")
    if case is None and scales is None:
        raise ValueError(
            "compare needs case= (or scales=) to judge soundly: each element is judged at its own error scale, "
            "and without one a tensor's largest element would stand in, which cries wolf on correct float32 code"
        )
    if case is not None and not isinstance(case, Case):
        raise TypeError(f"case must be a crosscheck.Case, got {type(case).__name__}")
    if tolerances is not None and not isinstance(tolerances, Tolerance):
        raise TypeError(f"tolerances must be a crosscheck.Tolerance, got {type(tolerances).__name__}")
    dtype = tested.weights[0].dtype if tested.weights else np.dtype(np.float64)
    tol = tolerances if tolerances is not None else tolerance(kind, dtype)
    problems = _mismatched(tested, oracle, who)
    if problems:
        return Comparison(oracle_name, kind, dtype, tol, problems, case, who)
    if scales is None and case is not None:
        scales = magnitudes(case)
    assert scales is not None
    one = judge_stacked(
        _one(tested), _one(oracle), _one(scales), tol, kind, error=None if oracle_error is None else _one(oracle_error)
    )
    return Comparison(oracle_name, kind, dtype, tol, one.tensors(0), case, who)


def _diagnosis_dict(found: Diagnosis | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "quantity": found.quantity,
        "layer": found.layer,
        "equation": found.equation,
        "slips": list(found.slips),
        "note": found.note,
    }


def _one(g: Gradients) -> Gradients:
    """Gradients of one case with a leading case axis of 1."""
    lead = [np.asarray(t)[None] for t in (*g.deltas, *g.weights, *g.biases)]
    n = len(g.deltas)
    return Gradients(np.asarray([g.loss], dtype=np.float64), lead[:n], lead[n : 2 * n], lead[2 * n :])


def _mismatched(tested: Gradients, oracle: Gradients, who: str) -> tuple[TensorCheck, ...]:
    """Structural problems (layer counts, shapes, dtypes) that stop an element-wise comparison."""
    found = []
    for quantity in QUANTITIES[1:]:
        t, o = getattr(tested, quantity), getattr(oracle, quantity)
        if len(t) != len(o):
            found.append(TensorCheck.structural(quantity, f"{who} has {len(t)} layers, the oracle {len(o)}"))
            continue
        for layer, (a, b) in enumerate(zip(t, o), start=2):
            why = problem(a, b, who)
            if why:
                found.append(TensorCheck.structural(quantity, why, layer))
    return tuple(found)


def _structure(case: Case, tested: Gradients, who: str, provides: tuple[str, ...] = QUANTITIES) -> tuple[TensorCheck, ...]:
    """The implementation's gradients against the shapes and dtype the case calls for (the
    quantities it provides)."""
    net = case.network
    want = Gradients(
        loss=0.0,
        deltas=[np.empty((W.shape[0], case.x.shape[1]), net.dtype) for W in net.weights] if "deltas" in provides else [],
        weights=[np.empty(W.shape, net.dtype) for W in net.weights],
        biases=[np.empty(b.shape, net.dtype) for b in net.biases],
    )
    return _mismatched(tested, want, who)


__all__ = [
    "CaseCheck",
    "Comparison",
    "ManyCheck",
    "StackJudgement",
    "check_case",
    "check_cases",
    "compare",
    "judge_stacked",
    "stack_judgements",
    "step_check",
    "symbol",
]
