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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from crosscheck import declarations, probe
from crosscheck import oracles as _oracles
from crosscheck.case import Case, Implementation
from crosscheck.check import check_case, check_cases, positive_learning_rate, step_check
from crosscheck.check import stepped as stepped_scale
from crosscheck.containment import Cage
from crosscheck.convention import Convention
from crosscheck.convention import convention_named as convention_of
from crosscheck.diagnosis import diagnose_step, forward, kink_samples
from crosscheck.edge import PROMOTED
from crosscheck.findings import Diagnosis, PrecisionNote, Slip
from crosscheck.implementations import Yours, implementation
from crosscheck.isolation import DEFAULT_MEMORY, DEFAULT_SECONDS, STOP_AFTER, LoadFailure, ctrl_c_kept
from crosscheck.probe import Found
from crosscheck.problems import ImplementationProblem
from crosscheck.results import UNFINISHED, CaseCheck, Comparison, Counts, ImplementationCheck
from crosscheck.strategies import DTYPES, SEARCH_PHASES, cases, random_cases


@ctrl_c_kept()  # a Ctrl-C at any moment of the check stops it (see there)
def check_implementation(  # noqa: PLR0913 (keyword-only options, each with a default)
    fn: Yours | Implementation,
    *,
    convention: str | Convention | None = None,
    activation: str | None = None,
    output_activation: str | None = None,
    loss: str | None = None,
    update: Yours | None = None,
    learning_rate: float = 0.5,
    oracles: Sequence[str] = ("torch", "jax"),
    cases: int = 1000,
    dtypes: Sequence[Any] = DTYPES,
    seed: int = 0,
    max_layers: int | None = None,
    max_width: int = 8,
    max_batch: int = 8,
    shrink: bool = True,
    sizes: Sequence[int] | None = None,
    min_layers: int | None = None,
    min_width: int = 1,
    min_batch: int = 1,
    outputs: int | None = None,
    time_limit: float = DEFAULT_SECONDS,
    memory_limit: float | None = DEFAULT_MEMORY,
    isolate: bool = True,
    contain: Cage | None = None,
    progress: Progress | None = None,
) -> ImplementationCheck:
    """Check your backward pass `fn(weights, biases, x, y)` (in `convention`'s layout; see
    `crosscheck.implementations`) against the oracles on `cases` drawn cases per dtype.

    Without `convention`, the check finds out what your code does before the sweep (`crosscheck.probe`): its
    layout, the order of a pair it returns, the depths it accepts, and, from the loss values it returns alone,
    the activations, the loss and the cost's form (names you give are kept). What was found is on the result
    (`found`) and in its report. Names neither given nor found are the derivation's: sigmoid layers and the
    quadratic cost. `update(weights, biases, x, y, learning_rate)`, if given, is checked as one
    gradient-descent step. The structure drawn: `sizes` fixes it, e.g. (4, 10, 3) for a fixed two-layer
    network; else `min_layers..max_layers` weight layers (1..5, or the depths your code accepts), widths
    `min_width..max_width`, and `outputs` fixes the output width alone; batches of `min_batch..max_batch`.
    Your code runs in a process of its own (`isolate=False`: here, for a function you trust),
    each call within `time_limit` seconds and `memory_limit` MiB (`crosscheck.isolation`); `contain` runs it
    contained by the operating system, as grading does (`crosscheck.containment`).
    `progress(stage, done, total, cases=0, disagreements=0)`, if given, hears of each step: the
    cases judged of those asked, the shrinker's examples, the updates (the CLI draws a bar with it)."""
    made = not isinstance(fn, Implementation)
    probing = convention is None and made
    c = convention_of(convention if convention is not None else "columns")
    limits: dict[str, Any] = {"time_limit": time_limit, "memory_limit": memory_limit, "isolate": isolate, "contain": contain}
    under_test = fn if isinstance(fn, Implementation) else implementation(fn, convention=c, update=update, **limits)
    cases, dtypes, learning_rate = _counts(cases, dtypes, learning_rate, seed)
    declared = {"activation": activation, "output_activation": output_activation, "loss": loss}
    drawn: dict[str, Any] = {"max_layers": max_layers, "max_width": max_width, "max_batch": max_batch, "min_layers": min_layers}
    drawn |= {"min_width": min_width, "min_batch": min_batch, "sizes": sizes, "outputs": outputs}
    chosen = tuple(o.name for o in _oracles.lookup(oracles))
    low = 1 if min_layers is None else min_layers
    bounds = {"min_layers": low, "max_layers": max(5, low) if max_layers is None else max_layers}
    random_cases(np.random.default_rng(0), 0, **{**drawn, **bounds})  # the structure's options checked before any probe
    plan = Plan(under_test, c, chosen, drawn, tuple(dtypes), np.random.default_rng(seed), progress or _silent)
    return _run(plan, declared, (cases, learning_rate, shrink), close=made, probing=probing)


def _planned(plan: Plan, declared: dict[str, str | None], found: Found | None) -> tuple[Plan, tuple[str, str, str]]:
    """The plan and the names, with what was found where nothing was declared (a declaration always wins)."""
    c, drawn = plan.convention, dict(plan.options)
    named = dict(declared)
    if found is not None:
        c = found.convention
        if found.names is not None:
            for key, value in zip(("activation", "output_activation", "loss"), found.names):
                named[key] = named[key] or value
        if found.layers is not None and drawn["min_layers"] is None and drawn["max_layers"] is None:
            drawn["min_layers"], drawn["max_layers"] = found.layers
        if found.outputs is not None and drawn["outputs"] is None:
            drawn["outputs"] = found.outputs
    drawn["min_layers"] = 1 if drawn["min_layers"] is None else drawn["min_layers"]
    drawn["max_layers"] = max(5, drawn["min_layers"]) if drawn["max_layers"] is None else drawn["max_layers"]
    activation = named["activation"] or "sigmoid"
    names = (activation, named["output_activation"] or activation, named["loss"] or "quadratic")
    _declared(c, names[2])
    options = {**dict(zip(("activation", "output_activation", "loss"), names)), **drawn, "targets": DRAWN_TARGETS[c.targets]}
    under_test = plan.implementation
    if c is not plan.convention and under_test.redeclared is not None:
        under_test = under_test.redeclared(c)
    return replace(plan, implementation=under_test, convention=c, options=options), names


def _free(plan: Plan) -> bool:
    """Whether the structure drawn is left to the check (no sizes, depths or output width given), and the
    implementation is a function of yours (it has a process to probe)."""
    o = plan.options
    undeclared = all(o[key] is None for key in ("sizes", "min_layers", "max_layers", "outputs"))
    return undeclared and plan.implementation.runner is not None and plan.implementation.redeclared is not None


def _found(plan: Plan, declared: dict[str, str | None], convention: Convention | None = None) -> Found | None:
    """Step 0: what your code does, found by probing it; with a declared `convention`, only the structures it
    accepts (the depths, an output width of 1)."""
    o = plan.options
    low = 1 if o["min_layers"] is None else o["min_layers"]
    high = max(5, low) if o["max_layers"] is None else o["max_layers"]
    plan.progress("probing", 0, 1)
    depths = range(low, high + 1)
    runner = plan.implementation.runner
    found = probe.find(runner, depths=depths, outputs=o["outputs"], names=declared, sizes=o["sizes"], declared=convention)
    plan.progress("probing", 1, 1)
    return found


def _run(
    plan: Plan, declared: dict[str, str | None], asked: tuple[int, float, bool], *, close: bool, probing: bool
) -> ImplementationCheck:
    """The steps (what your code does, found by probing unless declared; `cases` per dtype, the shrinker if
    `shrink`, the updates at `learning_rate`) and their result; your code's process closed after them if
    `close` (the check started it)."""
    cases, learning_rate, shrink = asked
    runner = plan.implementation.runner
    if runner is not None:
        runner.start()  # your code loads in its process while the frameworks load here
    found: Found | None = None
    names = ("sigmoid", "sigmoid", "quadratic")
    try:
        found = _found(plan, declared, None if probing else plan.convention) if probing or _free(plan) else None
        plan, names = _planned(plan, declared, found)
        if found is not None and found.ambiguous:
            return _unchecked(plan, names, LoadFailure(_ambiguous(found)), cases, found)
        with _oracles.focused(*names, plan.convention.clip):  # every case of the check has these names
            swept = sweep(plan, cases)
            failure, shrunk = _minimal(swept, plan, shrink)
            unknown = _unknown_network(failure, found, declared) if probing else ""
            if unknown:
                return _unchecked(plan, names, LoadFailure(unknown), cases, found)
            updates = check_updates(plan, min(cases, 50), learning_rate) if swept.counts.not_run == 0 else Updates()
    except LoadFailure as failed:
        return _unchecked(plan, names, failed, cases, found)
    finally:
        if close and runner is not None:
            runner.close()
    if failure is not None and updates.failure is not None:  # one diagnosis a report: your gradients' comes first
        updates = replace(updates, note="(The update is diagnosed once your gradients agree.)", slips=())
    return replace(_checked(plan, names, swept, (failure, shrunk), updates), found=found, probed=probing)


def _unknown_network(failure: CaseCheck | None, found: Found | None, declared: dict[str, str | None]) -> str:
    """Why there is no verdict when your code returns no loss (so its network could not be found out), nothing
    was declared, and it agrees once its network is declared otherwise: from its gradients alone, another network
    and a slip cannot be told apart (BP1 without σ' under the quadratic cost is the binary cross-entropy's)."""
    if failure is None or failure.found is None or "undeclared" not in failure.found.keys:
        return ""
    if any(declared.values()) or (found is not None and found.names is not None):
        return ""
    slip = next(s for s in failure.found.slips if s.key == "undeclared")
    return (
        "it returns no loss, so its network could not be found out; under the derivation's (sigmoid layers, the "
        f"quadratic cost) it disagrees, and {slip.text.removeprefix('your implementation ')}. From its gradients "
        "alone another network and a slip look alike: declare the network you mean, or return the loss (a dict "
        "with 'loss') so that the check finds it"
    )


def _ambiguous(found: Found) -> str:
    """Two readings of your code fit every probe and judge it differently: both, and the options that pick one."""
    chosen = found.convention
    picks = " or ".join(f"`{p}`" for p in (f"--samples {chosen.samples} --weights {chosen.weights}", *found.ambiguous))
    return (
        "two readings of your code fit every probe and would judge it differently: declare which you mean, "
        f"{picks} (python -m crosscheck verify ... --explain shows the evidence)"
    )


def _checked(
    plan: Plan, names: tuple[str, str, str], found: Sweep, failure: tuple[CaseCheck | None, bool], updates: Updates
) -> ImplementationCheck:
    """The three steps' findings as the result (a precision note only where everything agrees)."""
    agrees = failure[0] is None and updates.failure is None and found.counts.complete
    return ImplementationCheck(
        implementation=plan.implementation,
        convention=plan.convention,
        names=names,
        oracles=plan.oracles,
        counts=found.counts,
        worst=found.worst,
        failure=failure[0],
        shrunk=failure[1],
        failing=found.failing,
        unconfirmed=found.unconfirmed,
        given=found.given,
        steps=updates.steps,
        step_failure=updates.failure,
        step_note=updates.note,
        step_slips=updates.slips,
        precision=found.precision if agrees else None,
        notes=_notes(plan.implementation),
    )


def _unchecked(
    plan: Plan, names: tuple[str, str, str], failed: LoadFailure, count: int, found: Found | None = None
) -> ImplementationCheck:
    """Your code could not be loaded in its process: nothing was checked."""
    printed = ""
    if failed.output.strip():
        printed = "\n".join(
            ["It printed (its end):", *("    | " + line[:300] for line in failed.output.rstrip().splitlines()[-20:])]
        )
    return ImplementationCheck(
        implementation=plan.implementation,
        convention=plan.convention,
        names=names,
        oracles=plan.oracles,
        counts=Counts(
            asked={str(np.dtype(d)): count for d in plan.dtypes},
            judged={str(np.dtype(d)): 0 for d in plan.dtypes},
            not_run=count * len(plan.dtypes),  # nothing was run: every case asked is accounted for so
        ),
        worst={},
        unchecked=failed.what,
        notes=[printed] if printed else [],
        found=found,
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
    if failure is not None and shrink and failure.intermittent is None and not failure.unfinished:
        options = {**plan.options, "dtype": found.first_dtype}
        minimal = shrunk_failure(plan.implementation, plan.convention, plan.oracles, options, plan.progress)
        if minimal is not None:
            failure, shrunk = minimal, True
    if failure is not None and failure.split:  # the oracles disagree with each other: no hint about your code
        return failure, shrunk
    if failure is not None and _structural(failure) and not failure.unfinished and not _named(failure.found):
        failure = _where_it_runs(failure, plan)
    if failure is not None:
        failure = _targets_evidence(failure, plan.convention, plan.oracles, plan.implementation)
    if failure is not None and (failure.found is None or (failure.found.equation != "targets" and not failure.found.convention)):
        failure = declarations.evidence(failure, lambda case, candidate: _agrees_redeclared(case, candidate, plan))
    return failure, shrunk


RUNS = ("raised", "shape", "layers", "returned")
"""The problems of a case your code cannot answer in the right structure, which another case may let it answer."""


def _structural(failure: CaseCheck) -> bool:
    """Whether the failing case's answer stopped the comparison: your code raised, or answered in the wrong structure."""
    return any(t.problem is not None and t.problem.kind in RUNS for c in failure.comparisons.values() for t in c.tensors)


def _named(found: Diagnosis | None) -> bool:
    """Whether a diagnosis names an equation and a slip (a wrong shape often does: a transpose, the wrong axis)."""
    return found is not None and bool(found.equation) and bool(found.slips)


def _where_it_runs(failure: CaseCheck, plan: Plan) -> CaseCheck:
    """When your code raised (or answered in the wrong shape) on the minimal case: the same search on cases where
    it may run, its layers square (every width equal, at least 2), one sample, one layer more or fewer, a few cases
    each; the first where it answers and disagrees is kept beside the crash (`CaseCheck.revealed`), and its
    diagnosis names the equation. A slip like W^{l+1} for its transpose raises off square layers and shows there."""
    case = failure.case
    sizes, N, L = tuple(case.network.sizes), case.x.shape[1], case.network.L
    o = plan.options
    structures: list[tuple[tuple[int, ...], int]] = []
    if o.get("sizes") is not None:
        structures += [(sizes, 1)]
    else:
        width = o["outputs"] or max(2, max(sizes))
        depths = [d for d in (L, L + 1, L - 1) if o["min_layers"] <= d <= o["max_layers"]]
        for depth in depths:
            square = (width,) * (depth + 1) if o["outputs"] is None else (width,) * depth + (o["outputs"],)
            if max(square) <= o["max_width"]:
                structures += [(square, N), (square, 1)]
        structures += [(sizes, 1)]
    rng = np.random.default_rng(0)
    dtype = case.network.dtype
    for shape, batch in dict.fromkeys(structures):
        drawn = {**o, "sizes": shape, "outputs": None, "min_batch": batch, "max_batch": batch, "min_layers": 1}
        drawn |= {"weight_scales": (0.5, 1.0), "input_scales": (1.0,), "zeros": False}  # typical z: every tensor carries the slip
        for other in random_cases(rng, 3, dtype=dtype, **drawn):
            if _skip(other, plan.convention):
                continue
            checked = check_case(other, plan.oracles, implementation=plan.implementation)
            if checked.unfinished:
                return failure
            if not checked.ok and not _structural(checked) and checked.found is not None and checked.found.equation:
                return replace(failure, revealed=checked, found=checked.found)
    return failure


def _agrees_redeclared(case: Case, candidate: declarations.Redeclaration, plan: Plan) -> bool:
    """Whether the oracles agree with your implementation on `case` (already under the candidate's names),
    with the candidate's L2 term declared as well."""
    under_test = plan.implementation
    if candidate.l2:
        if plan.convention.cost != "mean" or plan.convention.l2:
            return False  # an L2 fitted on the mean cost: declared on another cost, its coefficient would differ
        redeclared = _redeclared(under_test, replace(plan.convention, l2=candidate.l2, l2_form="reg"))
        if redeclared is None:
            return False
        under_test = redeclared
    return check_case(case, plan.oracles, implementation=under_test).ok


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
    notes += [f"Note: {note}." for note in getattr(under_test.runner, "notes", [])]
    left = getattr(under_test.runner, "left_running", 0)
    if left:
        notes.append(
            f"Note: {under_test.name} started {left:,} process(es) that were still running when its own process was "
            "stopped; they were stopped with it (they cannot outlive the check)."
        )
    return notes


Progress = Callable[..., None]
"""progress(stage, done, total, cases=0, disagreements=0): told of each step of a check."""


def _silent(*_: Any, **__: Any) -> None:
    """The progress of a check nobody watches."""


@dataclass(frozen=True)
class Sweep:
    """Step 1's findings: every case asked for, accounted for; the worst |diff|/tol, and the first failing case."""

    counts: Counts
    worst: dict[str, float]
    failing: int
    first: CaseCheck | None
    first_dtype: Any
    precision: PrecisionNote | None = None
    unconfirmed: int = 0
    given: tuple[str, ...] = ()


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
    progress: Progress


def sweep(plan: Plan, count: int) -> Sweep:
    """Step 1: `count` drawn cases per dtype through the pipeline. Cases the convention leaves
    unjudged (on a kink, within a clip) are counted, not checked; once your code has left
    STOP_AFTER consecutive cases unfinished, the rest (of this dtype and the next) are not run."""
    under_test, c, oracles = plan.implementation, plan.convention, plan.oracles
    asked: dict[str, int] = {}
    judged: dict[str, int] = {}
    worst = dict.fromkeys(oracles, 0.0)
    unjudged = failing = unconfirmed = not_finished = not_run = 0
    given: set[str] = set()
    first: CaseCheck | None = None
    first_dtype: Any = None
    imprecise: list[Case] = []
    total = count * len(plan.dtypes)
    for k, dtype in enumerate(plan.dtypes):
        plan.progress("cases", k * count, total, cases=sum(judged.values()), disagreements=failing)
        name = str(np.dtype(dtype))
        asked[name], judged[name] = count, 0
        if not_run:  # the check already stopped: these are not run either
            not_run += count
            continue
        drawn = random_cases(plan.rng, count, dtype=dtype, **plan.options)
        kept = [case for case in drawn if not _skip(case, c)]
        unjudged += len(drawn) - len(kept)
        if not kept:
            continue
        result = check_cases(kept, oracles, implementation=under_test)
        unfinished = sum(f.unfinished for f in result.failures)
        judged[name] = result.judged - unfinished
        not_finished += unfinished
        not_run += len(result.not_run)
        for oracle in oracles:
            finite = result.worst[oracle][np.isfinite(result.worst[oracle])]
            worst[oracle] = max(worst[oracle], float(finite.max(initial=0.0)))
        failing += result.failing
        unconfirmed += len(result.unconfirmed)
        given |= set(result.given)
        if result.failures and first is None:
            first, first_dtype = result.failures[0], dtype
        imprecise += [kept[i] for i in result.imprecise]
    plan.progress("cases", total, total, cases=sum(judged.values()), disagreements=failing)
    counts = Counts(asked, judged, unjudged, not_finished, not_run)
    precision = _precision(imprecise, plan, counts.checked)
    return Sweep(counts, worst, failing, first, first_dtype, precision, unconfirmed, tuple(sorted(given)))


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
    slips: tuple[str, ...] = ()
    """The keys of the slips the update's diagnosis names."""


def check_updates(plan: Plan, count: int, learning_rate: float) -> Updates:
    """Step 3: with an update, one gradient-descent step against each framework's own update
    on `count` drawn cases per dtype (a per-sample convention's update gets the batch: one
    mini-batch step, the mean of its samples' gradients). It stops at the first update that
    does not finish: it would not finish on the later cases either."""
    under_test, c, oracles = plan.implementation, plan.convention, plan.oracles
    if under_test.step is None:
        return Updates()
    options = plan.options
    framework_steps = [name for name in oracles if _oracles.ORACLES[name].sgd_step is not None] or [oracles[0]]
    steps, failure, note = 0, None, ""
    slips: tuple[str, ...] = ()
    total = count * len(plan.dtypes)
    for k, dtype in enumerate(plan.dtypes):
        for j, case in enumerate(random_cases(plan.rng, count, dtype=dtype, **options)):
            plan.progress("updates", k * count + j, total, disagreements=int(failure is not None))
            if _skip(case, c):
                continue
            for name in framework_steps:
                comparison = step_check(case, name, learning_rate, implementation=under_test)
                steps += 1
                if not comparison.ok and failure is None:
                    failure = comparison
                    note, slips = _step_note(case, under_test, learning_rate, oracles)
            if failure is not None and _unfinished(failure.tensors):
                plan.progress("updates", total, total, disagreements=1)
                return Updates(steps, failure, note, slips)
    plan.progress("updates", total, total, disagreements=int(failure is not None))
    return Updates(steps, failure, note, slips)


def _unfinished(tensors: Sequence[Any]) -> bool:
    """Whether a comparison's answer is a call that did not finish (timed out, died, garbled)."""
    return any(t.problem is not None and t.problem.kind in UNFINISHED for t in tensors)


def _skip(case: Case, c: Convention) -> bool:
    """A case the convention leaves unjudged: some z exactly on a kink, where it takes another
    slope, or an output within rounding of a declared clip's bound (clip or 1 − clip), where your
    code and an oracle may fall on either side of it (every oracle applies the clip itself)."""
    if c.kink == "left" and not c.clip:
        return False
    zs, acts = forward(case)
    if c.clip and _near_a_bound(acts[-1], c.clip):
        return True
    return c.kink != "left" and bool(kink_samples(case, zs).any())


def _near_a_bound(a: np.ndarray, clip: float) -> bool:
    """Whether an output lies within rounding (8 ulps of 1, or 1e-4 of the bound, relative) of clip or 1 − clip."""
    band = max(8 * float(np.finfo(a.dtype).eps), 1e-4 * clip)
    return bool(np.any((np.abs(a - clip) <= band) | (np.abs(a - (1 - clip)) <= band)))


def shrunk_failure(
    under_test: Implementation, c: Convention, oracles: tuple[str, ...], options: dict[str, Any], progress: Progress = _silent
) -> CaseCheck | None:
    """Step 2: a minimal failing case, found and shrunk by Hypothesis (None if its search finds none)."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    unfinished: list[Case] = []
    tried = [0]

    def fails(case: Case) -> bool:
        tried[0] += 1
        progress("shrinking", min(tried[0], SEARCHED - 1), SEARCHED)
        if _skip(case, c):
            return False
        checked = check_case(case, oracles, implementation=under_test)
        if checked.unfinished:  # a hang is not shrunk: after STOP_AFTER of them, the search ends
            unfinished.append(case)
            if len(unfinished) >= STOP_AFTER:
                raise _Stopped
            return False
        return not checked.ok

    config = settings(
        max_examples=SEARCHED,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase[name] for name in SEARCH_PHASES],
    )
    try:
        minimal = find(cases(**options), fails, settings=config)
    except (NoSuchExample, _Stopped):
        return None
    except Exception:  # a search that met a result coming and going (Flaky) or gave up: keep the sweep's case
        return None
    finally:
        progress("shrinking", SEARCHED, SEARCHED)
    shrunk = check_case(minimal, oracles, implementation=under_test)
    # The shrunk case is shown only if it fails now too: never a "minimal case" that agrees.
    return None if shrunk.ok else shrunk


SEARCHED = 500
"""The shrinker's examples at most (Hypothesis's max_examples; its shrinking steps come on top)."""


class _Stopped(Exception):
    """The shrinker's search met cases that did not finish: it keeps the sweep's case."""


def _step_note(
    case: Case, under_test: Implementation, learning_rate: float, oracles: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """What a failing update looks like, when your gradients agree on the same case: the words, and the slips' keys."""
    gradients = check_case(case, oracles, implementation=under_test)
    if not gradients.ok:
        return "Your gradients already disagree on this case: fix them first (see above).", ()
    if under_test.step is None:
        return "", ()
    try:
        stepped = under_test.step(case, learning_rate)
    except ImplementationProblem:  # the update raised or answered in the wrong form: its report says so already
        return "", ()
    scale = stepped_scale(case, under_test)  # your update steps on your cost: η times its scale over the mean cost's
    found = diagnose_step(case, stepped, learning_rate * scale, under_test.backward(case), under_test.weight_decay / scale)
    return found.text(), found.keys
