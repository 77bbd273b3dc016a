"""Check your own backprop: `check_implementation(fn, convention=..., ...)`.

1. A fast sweep: `cases` cases per dtype, drawn from a seed (`strategies.random_cases`,
   the distribution of `strategies.cases`), through the pipeline (`check.check_cases`)
   with your implementation under test, each case called twice.
2. On a failure, Hypothesis searches `strategies.cases` for a case your implementation
   fails and shrinks it to a minimal one; its report names the equation implicated
   (`crosscheck.diagnosis`) and rebuilds the case around *your* function.
3. With an `update`, one gradient-descent step against each framework's own update
   (`check.step_check`) on cases of the sweep.

The result has `.ok`, `.report()`, `.markdown()`, `.as_dict()` and `.assert_ok()`, so the
same check runs from your pytest file (`check_implementation(...).assert_ok()`) and from
the CLI (`python -m crosscheck verify MODULE:FUNCTION`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from crosscheck import oracles as _oracles
from crosscheck.case import Case, Implementation
from crosscheck.check import check_case, check_cases, positive_learning_rate, step_check
from crosscheck.diagnosis import diagnose_step, forward, kink_samples
from crosscheck.findings import Diagnosis, PrecisionNote, Slip
from crosscheck.implementations import PROMOTED, Convention, implementation
from crosscheck.implementations import convention_named as convention_of
from crosscheck.judge import join
from crosscheck.problems import ImplementationProblem
from crosscheck.results import CaseCheck, Comparison
from crosscheck.strategies import DTYPES, cases, random_cases
from crosscheck.supervise import DEFAULT_LIMIT, watching


@dataclass(frozen=True)
class ImplementationCheck:
    """Your implementation against the oracles on many drawn cases."""

    implementation: Implementation
    convention: Convention
    names: tuple[str, str, str]
    oracles: tuple[str, ...]
    judged: dict[str, int]
    """Cases judged, per dtype."""
    worst: dict[str, float]
    """Per oracle: the largest |diff|/tol over every case judged."""
    kinks_skipped: int = 0
    """Cases not judged because some z sat exactly on a kink and the convention takes another slope there."""
    failure: CaseCheck | None = None
    """The (shrunk) failing case, with its report and diagnosis."""
    shrunk: bool = False
    failing: int = 0
    """How many cases of the sweep failed."""
    steps: int = 0
    step_failure: Comparison | None = None
    step_note: str = ""
    notes: list[str] = field(default_factory=list)
    precision: PrecisionNote | None = None
    """Where your implementation agrees but is less precise than the frameworks (a note)."""

    @property
    def checked(self) -> int:
        """Cases judged in all (0: nothing was compared, and that is no agreement)."""
        return sum(self.judged.values())

    @property
    def ok(self) -> bool:
        return self.checked > 0 and self.failure is None and self.step_failure is None

    def summary(self) -> str:
        hidden, output, loss = self.names
        acts = hidden if output == hidden else f"{hidden}→{output}"
        counts = ", ".join(f"{n:,} {d}" for d, n in self.judged.items())
        total = sum(self.judged.values())
        parts = [f"{acts}/{loss}", f"convention {self.convention.describe()}", counts]
        if self.kinks_skipped:
            why = []
            if self.convention.kink != "left":
                why.append(f"z exactly on a kink (kink={self.convention.kink!r})")
            if self.convention.clip:
                why.append(f"an output within 2·clip of 0 or 1 (clip={self.convention.clip:g})")
            parts.append(f"{self.kinks_skipped:,} cases with {' or '.join(why)} not judged")
        if self.steps:
            parts.append(f"{self.steps:,} updates checked")
        worst = ", ".join(f"{name} {ratio:.2g}" for name, ratio in self.worst.items())
        if self.checked == 0:
            parts_text = "; ".join(parts)
            who = self.implementation.name
            return f"Nothing checked: every drawn case was left unjudged [{parts_text}]: {who} is not verified"
        if self.ok:
            return (
                f"{self.implementation.name} agrees with {join(list(self.oracles))} on all {total:,} cases "
                f"[{'; '.join(parts)}; worst |diff|/tol: {worst}; each case called twice, its inputs left unchanged]"
            )
        return f"{self.implementation.subject} disagrees with the oracles [{'; '.join(parts)}]"

    def report(self) -> str:
        lines = [self.summary()]
        if self.failure is not None:
            how = "the minimal case Hypothesis shrank it to" if self.shrunk else "the first failing case"
            lines += ["", f"{self.failing:,} of the cases fail; {how}:", "", self.failure.report()]
        if self.step_failure is not None:
            lines += ["", "The update:", self.step_failure.report()]
            if self.step_note:
                lines.append(self.step_note)
        if self.precision is not None:
            lines += ["", self.precision.text(self.implementation.name)]
        return "\n".join(lines + self.notes)

    def markdown(self) -> str:
        lines = [f"**{self.summary()}**"]
        if self.precision is not None:
            lines += ["", self.precision.text(self.implementation.name)]
        if self.failure is not None:
            lines += ["", self.failure.markdown()]
        if self.step_failure is not None:
            lines += ["", "The update:", "", "```", self.step_failure.report(), "```"]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "implementation": self.implementation.name,
            "convention": self.convention.describe(),
            "names": list(self.names),
            "oracles": list(self.oracles),
            "cases": self.judged,
            "kinks_skipped": self.kinks_skipped,
            "worst_ratio": self.worst,
            "failing_cases": self.failing,
            "failure": None if self.failure is None else self.failure.as_dict(),
            "updates_checked": self.steps,
            "update_failure": None if self.step_failure is None else self.step_failure.report(),
            "precision_note": None if self.precision is None else self.precision.text(self.implementation.name),
            "ok": self.ok,
            "verdict": self.summary(),
        }

    def assert_ok(self) -> ImplementationCheck:
        if not self.ok:
            raise AssertionError(self.report())
        return self


def check_implementation(  # noqa: PLR0913 (keyword-only options, each with a default)
    fn: Callable[..., Any] | Implementation,
    *,
    convention: str | Convention = "columns",
    activation: str = "sigmoid",
    output_activation: str | None = None,
    loss: str = "quadratic",
    update: Callable[..., Any] | None = None,
    learning_rate: float = 0.5,
    oracles: Sequence[str] = ("torch", "jax"),
    cases: int = 1000,
    dtypes: Sequence[Any] = DTYPES,
    seed: int = 0,
    max_layers: int = 5,
    max_width: int = 8,
    max_batch: int = 8,
    shrink: bool = True,
    sizes: Sequence[int] | None = None,
    min_layers: int = 1,
    min_width: int = 1,
    min_batch: int = 1,
    outputs: int | None = None,
    time_limit: float = DEFAULT_LIMIT,
) -> ImplementationCheck:
    """Check your backward pass `fn(weights, biases, x, y)` (in `convention`'s layout; see
    `crosscheck.implementations`) against the oracles on `cases` drawn cases per dtype.

    Defaults are the derivation's: sigmoid layers and the quadratic cost. `update(weights,
    biases, x, y, learning_rate)`, if given, is checked as one gradient-descent step.
    The structure drawn: `sizes` fixes it, e.g. (4, 10, 3) for a fixed two-layer network;
    else `min_layers..max_layers` weight layers, widths `min_width..max_width`, and
    `outputs` fixes the output width alone; batches of `min_batch..max_batch` samples.
    Every call of your code may take `time_limit` seconds (`crosscheck.supervise`)."""
    c = convention_of(convention)
    _declared(c, loss)
    under_test = fn if isinstance(fn, Implementation) else implementation(fn, convention=c, update=update, time_limit=time_limit)
    output = output_activation or activation
    chosen = tuple(o.name for o in _oracles.lookup(oracles))
    cases, dtypes, learning_rate = _counts(cases, dtypes, learning_rate, seed)
    names = {"activation": activation, "output_activation": output, "loss": loss}
    drawn: dict[str, Any] = {"max_layers": max_layers, "max_width": max_width, "max_batch": max_batch, "min_layers": min_layers}
    drawn |= {"min_width": min_width, "min_batch": min_batch, "sizes": sizes, "outputs": outputs}
    options = {**names, **drawn, "targets": DRAWN_TARGETS[c.targets]}
    rng = np.random.default_rng(seed)
    plan = Plan(under_test, c, chosen, options, tuple(dtypes), rng)
    with watching():  # one pair of signal handlers for the whole check, not one per call
        found = sweep(plan, cases)
        failure, shrunk = _minimal(found, plan, shrink)
        updates = check_updates(plan, min(cases, 50), learning_rate)
    return _checked(plan, (activation, output, loss), found, (failure, shrunk), updates)


def _checked(
    plan: Plan, names: tuple[str, str, str], found: Sweep, failure: tuple[CaseCheck | None, bool], updates: Updates
) -> ImplementationCheck:
    """The three steps' findings as the result."""
    return ImplementationCheck(
        implementation=plan.implementation,
        convention=plan.convention,
        names=names,
        oracles=plan.oracles,
        judged=found.judged,
        worst=found.worst,
        kinks_skipped=found.skipped,
        failure=failure[0],
        shrunk=failure[1],
        failing=found.failing,
        steps=updates.steps,
        step_failure=updates.failure,
        step_note=updates.note,
        precision=found.precision,
        notes=_notes(plan.implementation),
    )


def _counts(cases: Any, dtypes: Sequence[Any], learning_rate: Any, seed: Any) -> tuple[int, tuple[Any, ...], float]:
    """cases, dtypes, learning_rate and seed checked (the errors name the argument); the first three as used."""
    if isinstance(cases, bool) or not isinstance(cases, (int, np.integer)) or cases < 1:
        raise ValueError(f"cases must be a positive int, got {cases!r}")
    dtypes = tuple(dtypes)
    if not dtypes:
        raise ValueError("dtypes is empty: a check that compares nothing cannot fail; give float64, float32 or both")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0 (it seeds numpy.random.default_rng), got {seed!r}")
    return int(cases), dtypes, positive_learning_rate(learning_rate)


def _minimal(found: Sweep, plan: Plan, shrink: bool) -> tuple[CaseCheck | None, bool]:
    """Step 2 on the sweep's first failure: shrunk (unless it comes and goes, or hangs), then the
    targets probe; and whether it was shrunk."""
    failure, shrunk = found.first, False
    # A result that comes and goes does not shrink, and a hang is not searched for more hangs.
    if failure is not None and shrink and failure.intermittent is None and not _timed_out(failure):
        minimal = shrunk_failure(plan.implementation, plan.convention, plan.oracles, {**plan.options, "dtype": found.first_dtype})
        if minimal is not None:
            failure, shrunk = minimal, True
    if failure is not None:
        failure = _targets_evidence(failure, plan.convention, plan.oracles, plan.implementation)
    return failure, shrunk


DRAWN_TARGETS = {"probabilities": None, "one_hot": "one_hot", "labels": "one_hot", "labels_row": "one_hot", "binary": "binary"}
"""The targets drawn for each declared `Convention.targets` (labels are drawn one-hot, then given as classes)."""


def _declared(c: Convention, loss: str) -> None:
    """What the convention declares, checked against the loss (a ValueError naming the field)."""
    if not c.half and loss != "quadratic":
        raise ValueError(f"convention half=False (no ½) is the quadratic cost's; the loss is {loss!r}")
    if c.clip and loss not in ("binary_cross_entropy", "cross_entropy"):
        raise ValueError(f"convention clip={c.clip} clips a log loss's argument; the loss is {loss!r}")
    if c.targets == "binary" and loss == "cross_entropy":
        raise ValueError(
            "convention targets='binary' (0/1 per output) does not sum to 1 over the classes: use 'one_hot' or 'labels'"
        )


def _targets_evidence(failure: CaseCheck, c: Convention, oracles: tuple[str, ...], under_test: Implementation) -> CaseCheck:
    """A failure on targets your implementation may read otherwise. The same case with each
    column's target made one-hot (cross-entropy) or 0/1 (binary cross-entropy) is checked again,
    as given and as each other declaration of targets would give it (class labels (N,) or
    (1, N), one-hot); where one agrees, the diagnosis says so and names the targets= to declare."""
    case = failure.case
    loss = case.names[2]
    if c.targets != "probabilities" or loss not in ("cross_entropy", "binary_cross_entropy"):
        return failure
    y = case.y.astype(np.float64)
    hard = np.eye(y.shape[0])[:, np.argmax(y, axis=0)] if loss == "cross_entropy" else np.round(y)
    probe = Case(case.network, case.x, hard.astype(case.y.dtype), origin=case.origin)
    candidates = ("labels", "labels_row", "one_hot") if loss == "cross_entropy" else ("binary",)
    declared = [None if np.array_equal(hard, y) else "probabilities", *candidates]
    for targets in declared:
        if targets is None:
            continue
        tried = under_test if targets == "probabilities" else _redeclared(under_test, replace(c, targets=targets))
        if tried is not None and check_case(probe, oracles, implementation=tried).ok:
            return replace(failure, found=_targets_found(failure.found, under_test.name, loss, targets, candidates))
    return failure


def _redeclared(under_test: Implementation, c: Convention) -> Implementation | None:
    return None if under_test.redeclared is None else under_test.redeclared(c)


def _targets_found(old: Diagnosis | None, who: str, loss: str, targets: str, candidates: tuple[str, ...]) -> Diagnosis:
    """The diagnosis with the targets slip first: what agreed, and the declaration to make."""
    hard = "one-hot" if loss == "cross_entropy" else "0/1"
    if targets == "probabilities":
        declare = " or ".join(repr(t) for t in candidates)
        how = f"with y {hard} as given"
    else:
        declare = repr(targets)
        how = {"labels": "given as class labels (N,)", "labels_row": "given as class labels (1, N)"}.get(targets, f"given {hard}")
    slip = Slip(
        "targets",
        f"{who} agrees on this same case once its targets are {hard} ({how}): it does not take y as the "
        f"probabilities the case gives; if it expects that, declare the convention's targets={declare}",
    )
    if old is None:
        return Diagnosis(None, None, "targets", (slip,))
    return replace(old, equation="targets", slips=(slip, *old.slips), convention="")


def _notes(under_test: Implementation) -> list[str]:
    """What the edge noticed while calling your implementation, one sentence each."""
    notes = []
    promoted = under_test.observed.get(PROMOTED, 0)
    if promoted:
        notes.append(
            f"Note: {under_test.name} returned float64 on float32 cases ({promoted:,} tensors): "
            "they were rounded to float32 and judged there (a promotion, e.g. a float64 constant in your code)."
        )
    return notes


@dataclass(frozen=True)
class Sweep:
    """Step 1's findings: cases judged and the worst |diff|/tol, and the first failing case."""

    judged: dict[str, int]
    worst: dict[str, float]
    skipped: int
    failing: int
    first: CaseCheck | None
    first_dtype: Any
    precision: PrecisionNote | None = None


@dataclass(frozen=True)
class Plan:
    """What the steps share: the implementation under test, its convention, the oracles, the
    options of the drawn cases, the dtypes, and the one Generator every case comes from."""

    implementation: Implementation
    convention: Convention
    oracles: tuple[str, ...]
    options: dict[str, Any]
    dtypes: tuple[Any, ...]
    rng: np.random.Generator


def sweep(plan: Plan, count: int) -> Sweep:
    """Step 1: `count` drawn cases per dtype through the pipeline (cases on a kink the
    convention leaves unjudged are skipped)."""
    under_test, c, oracles = plan.implementation, plan.convention, plan.oracles
    judged: dict[str, int] = {}
    worst = dict.fromkeys(oracles, 0.0)
    skipped = failing = 0
    first: CaseCheck | None = None
    first_dtype: Any = None
    imprecise: list[Case] = []
    for dtype in plan.dtypes:
        drawn = random_cases(plan.rng, count, dtype=dtype, **plan.options)
        kept = [case for case in drawn if not _skip(case, c)]
        skipped += len(drawn) - len(kept)
        result = check_cases(kept, oracles, implementation=under_test)
        judged[str(np.dtype(dtype))] = len(result.cases)
        for name in oracles:
            finite = result.worst[name][np.isfinite(result.worst[name])]
            worst[name] = max(worst[name], float(finite.max(initial=0.0)))
        failing += len(result.failures)
        if result.failures and first is None:
            first, first_dtype = result.failures[0], dtype
        imprecise += [kept[i] for i in result.imprecise]
        if first is not None and _timed_out(first):
            break  # a call that hangs: the other dtypes would hang too
    return Sweep(judged, worst, skipped, failing, first, first_dtype, _precision(imprecise, plan, sum(judged.values())))


def _precision(imprecise: list[Case], plan: Plan, total: int) -> PrecisionNote | None:
    """The note on the first case where your implementation agrees but is less precise than the frameworks."""
    for case in imprecise[:3]:
        note = check_case(case, plan.oracles, implementation=plan.implementation).precision
        if note is not None:
            return replace(note, cases=len(imprecise), of=total)
    return None


@dataclass(frozen=True)
class Updates:
    """Step 3's findings: updates checked, the first that failed and what it looks like."""

    steps: int = 0
    failure: Comparison | None = None
    note: str = ""


def check_updates(plan: Plan, count: int, learning_rate: float) -> Updates:
    """Step 3: with an update, one gradient-descent step against each framework's own update
    on `count` drawn cases per dtype (a per-sample convention's update gets the batch: one
    mini-batch step, the mean of its samples' gradients)."""
    under_test, c, oracles = plan.implementation, plan.convention, plan.oracles
    if under_test.step is None:
        return Updates()
    options = plan.options
    framework_steps = [name for name in oracles if _oracles.ORACLES[name].sgd_step is not None] or [oracles[0]]
    steps, failure, note = 0, None, ""
    for dtype in plan.dtypes:
        for case in random_cases(plan.rng, count, dtype=dtype, **options):
            if _skip(case, c):
                continue
            for name in framework_steps:
                comparison = step_check(case, name, learning_rate, implementation=under_test)
                steps += 1
                if not comparison.ok and failure is None:
                    failure = comparison
                    note = _step_note(case, under_test, learning_rate, oracles)
            if failure is not None and any(t.problem is not None and t.problem.kind == "timed_out" for t in failure.tensors):
                return Updates(steps, failure, note)  # an update that hangs would hang on every later case
    return Updates(steps, failure, note)


def _timed_out(failure: CaseCheck) -> bool:
    """Whether the failing case's answer is a call that ran past its time limit."""
    return any(t.problem is not None and t.problem.kind == "timed_out" for c in failure.comparisons.values() for t in c.tensors)


def _skip(case: Case, c: Convention) -> bool:
    """A case the convention leaves unjudged: some z exactly on a kink, where it takes another
    slope, or an output within 2·clip of 0 or 1, where a declared clip changes the cost."""
    if c.kink == "left" and not c.clip:
        return False
    zs, acts = forward(case)
    if c.clip and bool(np.any((acts[-1] < 2 * c.clip) | (acts[-1] > 1 - 2 * c.clip))):
        return True
    return c.kink != "left" and bool(kink_samples(case, zs).any())


def shrunk_failure(
    under_test: Implementation, c: Convention, oracles: tuple[str, ...], options: dict[str, Any]
) -> CaseCheck | None:
    """Step 2: a minimal failing case, found and shrunk by Hypothesis (None if its search finds none)."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    def fails(case: Case) -> bool:
        return not _skip(case, c) and not check_case(case, oracles, implementation=under_test).ok

    config = settings(
        max_examples=500,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=list(Phase),
    )
    try:
        minimal = find(cases(**options), fails, settings=config)
    except NoSuchExample:
        return None
    except Exception:  # a search that met a result coming and going (Flaky) or gave up: keep the sweep's case
        return None
    shrunk = check_case(minimal, oracles, implementation=under_test)
    # The shrunk case is shown only if it fails now too: never a "minimal case" that agrees.
    return None if shrunk.ok else shrunk


def _step_note(case: Case, under_test: Implementation, learning_rate: float, oracles: tuple[str, ...]) -> str:
    """What a failing update looks like, when your gradients agree on the same case."""
    gradients = check_case(case, oracles, implementation=under_test)
    if not gradients.ok:
        return "Your gradients already disagree on this case: fix them first (see above)."
    if under_test.step is None:
        return ""
    try:
        stepped = under_test.step(case, learning_rate)
    except ImplementationProblem:  # the update raised or answered in the wrong form: its report says so already
        return ""
    found = diagnose_step(case, stepped, learning_rate, under_test.backward(case), under_test.weight_decay)
    return found.text()
