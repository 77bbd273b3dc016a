"""The pipeline's entry points: cases → the implementation under test → the oracles → the judge → a result.

    check_cases(cases, oracles, implementation=REFERENCE)

1. The cases are grouped into stacks (`crosscheck.case.stacks`: one depth, batch size,
   activations, loss and dtype; padded to the widest).
2. The implementation under test runs case by case (default: the reference, over each
   stack at once), and its results are placed into the stack's layout.
3. The error scale S of every element is computed per stack (`crosscheck.scales`).
4. Each oracle computes every stack (`crosscheck.oracles`).
5. The judge (`crosscheck.judge.judge`) rules on every real element; per case, the
   largest |diff|/tol (`crosscheck.stacked`).
6. A case over 1 is run again through the same steps as a stack of one (nothing
   padded), and that result, with its report, is the answer. Padding adds exact zeros,
   but a padded matmul may sum in another order, so an oracle's value can differ in the
   last bits; a case flagged in a stack that passes alone is kept in `ManyCheck.cleared`.

`check_case` is the same pipeline on one case; the certificate runs it on stacks of
one structure (`stack_judgements`); `step_check` judges one update and
`compare` two given sets of gradients. The results are `crosscheck.results`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from crosscheck import counterparts
from crosscheck import oracles as _oracles
from crosscheck.case import REFERENCE, Case, Implementation, Parameters, Stack, gradients_literal, stacks
from crosscheck.diagnosis import diagnose, precision_note
from crosscheck.judge import QUANTITIES, TensorCheck, judge, mismatch
from crosscheck.problems import ImplementationProblem, Problem
from crosscheck.results import CaseCheck, Comparison, ManyCheck
from crosscheck.scales import magnitudes, stack_magnitudes, with_l2_scale
from crosscheck.stacked import StackJudgement, judge_stacked, reference_over
from crosscheck.tolerances import AUTOGRAD_KIND, Tolerance, tolerance
from reference import Gradients, Network

DEFAULT_MANY = ("torch", "jax")
"""The oracles `check_cases` runs unless told otherwise: the two autograd frameworks."""


def stack_judgements(
    stacks_: Sequence[Stack],
    oracles: Sequence[str],
    implementation: Implementation = REFERENCE,
    *,
    shares: bool = False,
    tested: list[Gradients] | None = None,
    provides: list[tuple[str, ...]] | None = None,
    computed: list[dict[str, Any] | None] | None = None,
) -> list[dict[str, StackJudgement]]:
    """Steps 2-5 of the pipeline for each stack: the implementation, the scales, each oracle
    (all stacks of an oracle in one call), the judge. With `shares`, each oracle checks only
    its share of each stack's cases (the first ones; `Oracle.share`), as the certificate does.
    `tested`: the implementation's stacked results, when already computed, and `provides`
    what they give; `computed`: each stack's oracle values, where already computed (`oracle_values`)."""
    chosen = _oracles.lookup(oracles)
    if tested is None:
        answers = [[implementation.backward(case) for case in stack.cases()] for stack in stacks_]
        tested = [stack.stacked(a) for stack, a in zip(stacks_, answers)]
        provides = [implementation.given(a[0]) for a in answers]
    scales = [stack_magnitudes(stack, implementation.formulation) for stack in stacks_]
    strict = scales if implementation.formulation == "strict" else [stack_magnitudes(stack) for stack in stacks_]
    coefficients = [regularization(stack, implementation) for stack in stacks_]
    scales = [with_l2_scale(s, stack.weights, c) for s, stack, c in zip(scales, stacks_, coefficients)]
    results: list[dict[str, StackJudgement]] = [{} for _ in stacks_]
    if provides is None:
        provides = [implementation.provides or QUANTITIES for _ in stacks_]
    values: list[dict[str, Any] | None] = list(computed) if computed is not None else [None] * len(stacks_)
    missing = [i for i, v in enumerate(values) if v is None]
    for i, by_oracle in zip(missing, oracle_values([stacks_[i] for i in missing], [o.name for o in chosen], shares)):
        values[i] = by_oracle
    for oracle in chosen:
        for i, stack in enumerate(stacks_):
            gradients, error, count = values[i][oracle.name]  # type: ignore[index]
            c = coefficients[i]
            if c is not None:
                gradients = with_l2(oracle, stack.first(count) if count != stack.K else stack, gradients, c[:count])
            tol = tolerance(oracle.kind, stack.dtype)
            options = {"error": error, "stack": stack, "count": count, "name": oracle.name, "provides": provides[i]}
            judged = judge_stacked(tested[i], gradients, scales[i], tol, oracle.kind, **options)
            if implementation.formulation != "strict":  # how it fares at the reference's own standard: a note, never the verdict
                strict_scale = with_l2_scale(strict[i], stack.weights, coefficients[i])
                judged = replace(judged, strict=judge_stacked(tested[i], gradients, strict_scale, tol, oracle.kind, **options))
            results[i][oracle.name] = judged
    return results


def oracle_values(stacks_: Sequence[Stack], oracles: Sequence[str], shares: bool = False) -> list[dict[str, Any]]:
    """Each oracle's values for each stack (all stacks of an oracle in one call): per stack, per
    oracle, (gradients, its own error estimate, how many of the stack's cases it computed)."""
    values: list[dict[str, Any]] = [{} for _ in stacks_]
    if not stacks_:
        return values
    for oracle in _oracles.lookup(oracles):
        oracle.require()
        counts = [max(1, round(stack.K * oracle.share)) if shares else stack.K for stack in stacks_]
        subsets = [stack if c == stack.K else stack.first(c) for stack, c in zip(stacks_, counts)]
        for i, (gradients, error) in enumerate(oracle.compute(subsets)):
            values[i][oracle.name] = (gradients, error, counts[i])
    return values


def clipped(stack: Stack, implementation: Implementation) -> Stack:
    """The stack with the implementation's declared clip, which every oracle then applies in its own framework."""
    return replace(stack, clip=implementation.clip) if implementation.clip else stack


def regularization(stack: Stack, implementation: Implementation) -> np.ndarray | None:
    """The coefficient c (K,) of the c·ΣW² the implementation adds to each case's cost, or None."""
    if implementation.regularization is None:
        return None
    return np.array([implementation.regularization(int(stack.N), int(n[-1])) for n in stack.sizes])


def with_l2(oracle: _oracles.Oracle, stack: Stack, gradients: Gradients, c: np.ndarray) -> Gradients:
    """The oracle's gradients of C + c·ΣW²: R and ∂R/∂W from its own framework, added."""
    if oracle.l2 is None:
        raise ValueError(f"the oracle {oracle.name!r} cannot add an L2 term to the cost")
    R, dR = oracle.l2(stack.weights, c)
    return Gradients(
        loss=np.asarray(gradients.loss) + R,
        deltas=gradients.deltas,
        weights=[dW + r for dW, r in zip(gradients.weights, dR)],
        biases=gradients.biases,
    )


# --- the public checks ------------------------------------------------------------------------
def check_case(
    case: Case, oracles: Sequence[str] | None = None, *, implementation: Implementation = REFERENCE, answer: object = None
) -> CaseCheck:
    """The implementation under test (default: the reference) and each named oracle (default:
    all) on `case`, every element judged; `.ok`, `.report()`, `.assert_ok()`. `answer`, when
    given, is the implementation's answer already computed (Gradients, or the
    ImplementationProblem that stopped it): it is judged instead of calling it again."""
    if not isinstance(case, Case):
        raise TypeError(f"case must be a crosscheck.Case, got {type(case).__name__}")
    _implementation_argument(implementation)
    names = [o.name for o in _oracles.lookup(oracles)]
    tested, comparisons, strict = _comparisons(case, names, implementation, answer)
    failing = [c for c in comparisons.values() if not c.ok]
    # The diagnosis reads the first failing autograd oracle (finite differences when it is the only one).
    chosen = next((c for c in failing if c.kind == AUTOGRAD_KIND), failing[0]) if failing else None
    c = regularization(Stack.of([case]), implementation)
    l2 = None if c is None else float(c[0])
    found = None if chosen is None else diagnose(case, tested, chosen.tensors, chosen.values, regularization=l2)
    note = precision_note(case, strict) if strict and not failing else None
    hand = {name: counterparts.hand_written(_oracles.ORACLES[name].framework, case.names) for name in names}
    printed = implementation.printed(case) if failing and implementation.printed is not None else ""
    return CaseCheck(case, tested, comparisons, implementation, found=found, hand_written=hand, precision=note, printed=printed)


def _comparisons(
    case: Case, names: list[str], implementation: Implementation, answer: object = None
) -> tuple[Gradients, dict[str, Comparison], tuple[TensorCheck, ...]]:
    """The implementation's answer for `case`, each oracle's comparison with it (a structural
    problem, when the answer cannot be judged element by element, for every oracle alike), and
    the first oracle's judgement at the reference's strict scale where that one fails (else ())."""
    try:
        if isinstance(answer, ImplementationProblem):
            raise answer
        tested = answer if isinstance(answer, Gradients) else implementation.backward(case)
        problems = _structure(case, tested, implementation.given(tested))
    except ImplementationProblem as raised:
        tested = Gradients(loss=np.nan, deltas=[], weights=[], biases=[])
        problems = (TensorCheck.structural(raised.problem),)
    dtype = case.network.dtype
    if problems:
        table = tolerance(AUTOGRAD_KIND, dtype)
        kinds = {name: _oracles.ORACLES[name].kind for name in names}
        return (
            tested,
            {
                name: Comparison(name, kinds[name], dtype, table, problems, case=case, implementation=implementation)
                for name in names
            },
            (),
        )
    stack = clipped(Stack.of([case]), implementation)
    judged = stack_judgements(
        [stack], names, implementation, tested=[stack.stacked([tested])], provides=[implementation.given(tested)]
    )[0]
    strict = next((j.strict.tensors(0) for j in judged.values() if j.strict is not None and j.strict.per_case()[0] > 1), ())
    comparisons = {
        name: Comparison(
            name, j.kind, dtype, j.tolerance, j.tensors(0), case=case, implementation=implementation, values=j.values(0)
        )
        for name, j in judged.items()
    }
    return tested, comparisons, strict


def check_cases(
    cases: Sequence[Case], oracles: Sequence[str] = DEFAULT_MANY, *, implementation: Implementation = REFERENCE
) -> ManyCheck:
    """`check_case` for every case, many cases per framework call (see the module)."""
    if isinstance(cases, Case):
        raise TypeError("cases must be a sequence of crosscheck.Case, got one Case: pass [case], or use check_case(case)")
    _implementation_argument(implementation)
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
        return _many(cases, names, groups, judged, {}, implementation)
    # The implementation runs on the cases as given (a mutant of the reference stays a mutant):
    # yours, all at once in its own process, while the oracles compute here. A case it cannot
    # answer in the right structure is judged alone with that answer, for the report; a case
    # not run is counted, never judged.
    if implementation.submit is not None:
        collect = implementation.submit(cases)
        everything = [(members, clipped(stack, implementation)) for members, stack in stacks(cases)]
        values = oracle_values([stack for _, stack in everything], names)  # while your code runs
    else:
        given = [_answer(implementation, c) for c in cases]
        everything, values = [], []

        def collect() -> list[Any]:
            return given

    answers: dict[int, Gradients] = {}
    unjudged: dict[int, object] = {}
    for i, (case, answer) in enumerate(zip(cases, collect())):
        if isinstance(answer, ImplementationProblem) or _structure(case, answer, implementation.given(answer)):
            unjudged[i] = answer
        else:
            answers[i] = answer
    groups, computed = _answered(cases, answers, everything, values)
    groups = [(members, clipped(stack, implementation)) for members, stack in groups]
    tested = [stack.stacked([answers[i] for i in members]) for members, stack in groups]
    provides = [implementation.given(answers[members[0]]) for members, _ in groups]
    judged = stack_judgements(
        [stack for _, stack in groups], names, implementation, tested=tested, provides=provides, computed=computed
    )
    many = _many(cases, names, groups, judged, unjudged, implementation)
    return replace(many, given=tuple(q for q in QUANTITIES if any(q in p for p in provides)))


def _answered(
    cases: list[Case], answers: dict[int, Gradients], everything: list[tuple[list[int], Stack]], values: list[dict[str, Any]]
) -> tuple[list[tuple[list[int], Stack]], list[dict[str, Any] | None]]:
    """The stacks of the answered cases, and the oracle values already computed for each (a stack
    computed in full before the answers came keeps its values; one that lost cases is computed anew)."""
    kept: list[tuple[list[int], Stack]] = []
    computed: list[dict[str, Any] | None] = []
    for (members, stack), by_oracle in zip(everything, values):
        if all(i in answers for i in members):
            kept.append((members, stack))
            computed.append(by_oracle)
    done = {i for members, _ in kept for i in members}
    positions = [i for i in answers if i not in done]
    for members, stack in stacks([cases[i] for i in positions]):
        kept.append(([positions[j] for j in members], stack))
        computed.append(None)
    return kept, computed


def _answer(implementation: Implementation, case: Case) -> Gradients | ImplementationProblem:
    try:
        return implementation.backward(case)
    except ImplementationProblem as problem:
        return problem


def _many(
    cases: list[Case],
    names: tuple[str, ...],
    groups: list[tuple[list[int], Stack]],
    judged: list[dict[str, StackJudgement]],
    unjudged: dict[int, object],
    implementation: Implementation,
) -> ManyCheck:
    """Steps 5-6: per case, the largest |diff|/tol; a case over 1 run again alone for its report.
    A case of your implementation (not the reference) flagged in its stack that passes alone is
    run `RERUNS` times more: padding may move an oracle's last bits, but an answer that comes
    and goes is a failure, reported as intermittent. A case your implementation could not answer
    in the right structure is judged with the answer it gave (not called again: a call that hung
    would hang again); a case not run is counted apart."""
    worst = {name: np.zeros(len(cases)) for name in names}
    strict = {name: np.zeros(len(cases)) for name in names}
    for (members, _), by_oracle in zip(groups, judged):
        for name, judgement in by_oracle.items():
            worst[name][members] = judgement.per_case()
            strict[name][members] = worst[name][members] if judgement.strict is None else judgement.strict.per_case()
    for name in names:
        worst[name][list(unjudged)] = np.inf
        strict[name][list(unjudged)] = np.inf
    not_run = [i for i, a in unjudged.items() if isinstance(a, ImplementationProblem) and a.problem.kind == "not_run"]
    flagged = sorted({int(i) for name in names for i in np.flatnonzero(~(worst[name] <= 1))} - set(not_run))
    failures: list[CaseCheck] = []
    cleared: list[int] = []
    unconfirmed: list[int] = []
    for i in flagged:
        if i in unjudged:  # judged with the answer it gave: no call
            failures.append(check_case(cases[i], names, implementation=implementation, answer=unjudged[i]))
            continue
        if implementation is not REFERENCE and len(failures) >= CONFIRMED and not cleared:
            unconfirmed.append(i)  # the first CONFIRMED flagged cases all failed alone too: this one stands on its stack
            continue
        alone = check_case(cases[i], names, implementation=implementation)
        if alone.ok and implementation is not REFERENCE:
            alone = _rerun(cases[i], names, implementation, first=alone)
        if alone.ok:
            cleared.append(i)
        else:
            failures.append(alone)
    return ManyCheck(cases, names, worst, failures, cleared, implementation, strict, not_run, unconfirmed=unconfirmed)


CONFIRMED = 20
"""Flagged cases of an implementation under test rechecked alone before the rest are taken as judged in
their stacks: when all of the first CONFIRMED fail alone too (none was a padding artefact), rechecking
hundreds more (a call of your code and of each oracle per case) would only repeat the verdict."""


RERUNS = 4
"""How many more times a case that failed once and then passed is checked again."""


def _rerun(case: Case, names: tuple[str, ...], implementation: Implementation, first: CaseCheck) -> CaseCheck:
    """A case that failed in its stack and passed alone, checked `RERUNS` more times: the first
    failing run, marked intermittent (failed k of n runs), or `first` when every rerun passes."""
    runs = [check_case(case, names, implementation=implementation) for _ in range(RERUNS)]
    failed = [run for run in runs if not run.ok]
    if not failed:
        return first
    return replace(failed[0], intermittent=(len(failed) + 1, RERUNS + 2))


def _implementation_argument(implementation: object) -> None:
    if not isinstance(implementation, Implementation):
        raise TypeError(
            f"implementation must be a crosscheck.Implementation (crosscheck.implementation(fn, convention=...) "
            f"makes one from your function), got {type(implementation).__name__} {implementation!r:.60}"
        )


def positive_learning_rate(value: object) -> float:
    """η as a float, or a TypeError/ValueError naming `learning_rate`: a finite number > 0 (an int,
    a NumPy scalar or a 0-d array of one)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"learning_rate must be a real number, got {type(value).__name__} {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"learning_rate must be a finite number > 0, got {value}")
    return float(value)


def step_check(case: Case, oracle: str, learning_rate: float = 0.5, *, implementation: Implementation = REFERENCE) -> Comparison:
    """One update by the implementation under test against the oracle's update.

    torch takes one step of its SGD (`torch.optim.sgd.sgd`) and jax one `jax.grad` step; the other oracles
    apply W − η ∂C/∂W to their gradients. Each element is judged at the scale
    |W| + η S(∂C/∂W): the old value's rounding plus the gradient's, scaled by the step.
    """
    learning_rate = positive_learning_rate(learning_rate)
    _implementation_argument(implementation)
    (chosen,) = _oracles.lookup([oracle])
    chosen.require()
    network = case.network
    if implementation.step is None:
        raise ValueError(f"{implementation.name} has no update to check: give one (update=...)")
    try:
        tested = implementation.step(case, learning_rate)
    except ImplementationProblem as raised:  # the update raised or answered in the wrong form: that is the verdict
        problem = (TensorCheck.structural(raised.problem),)
        tol = tolerance(chosen.kind, network.dtype)
        return Comparison(oracle, chosen.kind, network.dtype, tol, problem, case=case, implementation=implementation)
    tol = tolerance(chosen.kind, network.dtype)
    expected, extra = _oracle_update(case, chosen, learning_rate, implementation)
    effective = learning_rate * stepped(case, implementation)
    checks = _judge_update(case, tested, expected, extra, tol, chosen.kind, effective, implementation)
    keyword = ", implementation=implementation" if implementation.setup else ""
    rebuild = "\n".join(
        [
            *([implementation.setup] if implementation.setup else []),
            f"crosscheck.step_check(case, {oracle!r}, {learning_rate!r}{keyword}).assert_ok()",
        ]
    )
    return Comparison(oracle, chosen.kind, network.dtype, tol, checks, case=case, implementation=implementation, rebuild=rebuild)


def _oracle_update(
    case: Case, chosen: _oracles.Oracle, learning_rate: float, implementation: Implementation = REFERENCE
) -> tuple[Parameters, Gradients | None]:
    """The oracle's parameters after one step on the implementation's own cost (η times its cost's scale
    over the mean cost: a summed cost steps N times as far), with its L2 term and weight decay: the
    framework's own update (`Oracle.update`: torch's SGD, a jax.grad step), or W − η (∂C/∂W + ∂R/∂W
    + wd·W) from its gradients; and its own error estimate, if it has one."""
    network = case.network
    stack = Stack.of([case])
    c = regularization(stack, implementation)
    scale = stepped(case, implementation)
    learning_rate, decay = learning_rate * scale, implementation.weight_decay / scale
    if chosen.update is not None:
        return chosen.update(case, learning_rate, 0.0 if c is None else float(c[0]), decay), None
    stacked, error = chosen.compute([stack])[0]
    if c is not None:
        stacked = with_l2(chosen, stack, stacked, c)
    g = stack.unstacked(stacked, 0)
    eta, wd = network.dtype.type(learning_rate), network.dtype.type(decay)
    expected = (
        [W - eta * (dW + wd * W) if decay else W - eta * dW for W, dW in zip(network.weights, g.weights)],
        [b - eta * db for b, db in zip(network.biases, g.biases)],
    )
    return expected, None if error is None else stack.unstacked(error, 0)


def stepped(case: Case, implementation: Implementation) -> float:
    """How far the implementation's update steps per unit of η, over a step on the mean cost (N for a summed cost)."""
    if implementation.cost_factor is None:
        return 1.0
    return float(implementation.cost_factor(case.x.shape[1], case.network.sizes[-1]))


def _judge_update(  # noqa: PLR0917 (the pieces of one update, each named as step_check names them)
    case: Case,
    tested: Parameters,
    expected: Parameters,
    extra: Gradients | None,
    tol: Tolerance,
    kind: str,
    learning_rate: float,
    implementation: Implementation = REFERENCE,
) -> tuple[TensorCheck, ...]:
    """Each updated W^l and b^l judged at |W| + η S(∂C/∂W): the old value's rounding plus the
    gradient's, scaled by the step (with an L2 term's and a weight decay's share, 4c|W| and wd|W|).
    An oracle with its own error estimate (finite differences) adds η times it, and η times its
    cost term: its W − η g carries that error."""
    network = case.network
    S = magnitudes(case, implementation.formulation)
    stack = Stack.of([case])
    c = regularization(stack, implementation)
    weight_scales = [
        s + 4 * (0.0 if c is None else c[0]) * np.abs(W) + implementation.weight_decay / stepped(case, implementation) * np.abs(W)
        for s, W in zip(S.weights, network.weights)
    ]
    checks = []
    for quantity, old, new, want, scale, error_of in zip(
        ("W", "b"), (network.weights, network.biases), tested, expected, (weight_scales, S.biases), ("weights", "biases")
    ):
        for l, (p, t, o, s) in enumerate(zip(old, new, want, scale), start=2):
            own = 0.0 if extra is None else learning_rate * (getattr(extra, error_of)[l - 2] + tol.cost_rtol * S.loss)
            judged = judge(t, o, scale=np.abs(p.astype(np.float64)) + learning_rate * s, tolerance=tol, kind=kind, error=own)
            checks.append(TensorCheck.of(quantity, l, t, o, judged))
    return tuple(checks)


def compare(  # noqa: PLR0913 (keyword-only options, each with a default)
    tested: Gradients,
    oracle: Gradients,
    *,
    case: Case | None = None,
    scales: Gradients | None = None,
    oracle_error: Gradients | None = None,
    oracle_name: str = "oracle",
    kind: str = AUTOGRAD_KIND,
    tolerances: Tolerance | None = None,
    implementation: Implementation = REFERENCE,
) -> Comparison:
    """Judge every element of two sets of gradients for one case (loss, δ^l, ∂C/∂W^l, ∂C/∂b^l).

    `case` (or precomputed `scales`) gives each element its error scale (`crosscheck.scales`):
    without one, the comparison would have to judge each tensor by its own largest element,
    which cries wolf on correct float32 code, so it is refused. `oracle_error`, an oracle's
    own error estimate per element, is added to the tolerance; `kind` picks the tolerance
    table and `tolerances` overrides it.
    """
    _compare_arguments(tested, oracle, case, {"scales": scales, "oracle_error": oracle_error, "tolerances": tolerances})
    _implementation_argument(implementation)
    dtype = tested.weights[0].dtype if tested.weights else np.dtype(np.float64)
    tol = tolerances if tolerances is not None else tolerance(kind, dtype)
    rebuild = _compare_call(
        tested,
        oracle,
        scales=scales,
        oracle_error=oracle_error,
        oracle_name=oracle_name,
        kind=kind,
        tolerances=tolerances,
        implementation=implementation,
    )
    problems = _mismatched(tested, oracle)
    if problems:
        return Comparison(oracle_name, kind, dtype, tol, problems, case=case, implementation=implementation, rebuild=rebuild)
    if scales is None and case is not None:
        scales = magnitudes(case)
    assert scales is not None
    one = judge_stacked(
        _one(tested), _one(oracle), _one(scales), tol, kind, error=None if oracle_error is None else _one(oracle_error)
    )
    return Comparison(oracle_name, kind, dtype, tol, one.tensors(0), case=case, implementation=implementation, rebuild=rebuild)


def _compare_arguments(tested: Gradients, oracle: Gradients, case: Case | None, options: dict[str, object]) -> None:
    """compare's arguments, or a TypeError/ValueError naming the one that is off."""
    for name, value in (("tested", tested), ("oracle", oracle)):
        if not isinstance(value, Gradients):
            raise TypeError(f"{name} must be a reference.Gradients, got {type(value).__name__}")
        if isinstance(value.loss, bool) or not isinstance(value.loss, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}.loss must be a number, got {type(value.loss).__name__}")
    if case is None and options["scales"] is None:
        raise ValueError(
            "compare needs case= (or scales=) to judge soundly: each element is judged at its own error scale, "
            "and without one a tensor's largest element would stand in, which cries wolf on correct float32 code"
        )
    if case is not None and not isinstance(case, Case):
        raise TypeError(f"case must be a crosscheck.Case, got {type(case).__name__}")
    if options["tolerances"] is not None and not isinstance(options["tolerances"], Tolerance):
        raise TypeError(f"tolerances must be a crosscheck.Tolerance, got {type(options['tolerances']).__name__}")
    for argument in ("scales", "oracle_error"):
        if options[argument] is not None and not isinstance(options[argument], Gradients):
            raise TypeError(f"{argument} must be a reference.Gradients (or None), got {type(options[argument]).__name__}")


def _compare_call(
    tested: Gradients,
    oracle: Gradients,
    *,
    scales: Gradients | None,
    oracle_error: Gradients | None,
    oracle_name: str,
    kind: str,
    tolerances: Tolerance | None,
    implementation: Implementation,
) -> str:
    """The lines of a reproduction that give `compare` the same gradients, bit for bit, and call it."""
    lines = ["from reference import Gradients", gradients_literal("tested", tested), gradients_literal("oracle", oracle)]
    if implementation.setup:
        lines.append(implementation.setup)
    arguments = ["case=case"]
    if scales is not None:
        lines.append(gradients_literal("scales", scales))
        arguments.append("scales=scales")
    if oracle_error is not None:
        lines.append(gradients_literal("oracle_error", oracle_error))
        arguments.append("oracle_error=oracle_error")
    arguments += [f"oracle_name={oracle_name!r}", f"kind={kind!r}"]
    if tolerances is not None:
        arguments.append(f"tolerances=crosscheck.{tolerances!r}")
    if implementation.setup:
        arguments.append("implementation=implementation")
    lines.append(f"crosscheck.compare(tested, oracle, {', '.join(arguments)}).assert_ok()")
    return "\n".join(lines)


def _one(g: Gradients) -> Gradients:
    """Gradients of one case with a leading case axis of 1."""
    lead = [np.asarray(t)[None] for t in (*g.deltas, *g.weights, *g.biases)]
    n = len(g.deltas)
    return Gradients(np.asarray([g.loss], dtype=np.float64), lead[:n], lead[n : 2 * n], lead[2 * n :])


def _mismatched(tested: Gradients, oracle: Gradients) -> tuple[TensorCheck, ...]:
    """Structural problems (layer counts, shapes, dtypes) that stop an element-wise comparison."""
    found = []
    for quantity in QUANTITIES[1:]:
        t, o = getattr(tested, quantity), getattr(oracle, quantity)
        if len(t) != len(o):
            found.append(TensorCheck.structural(Problem("layers", quantity, got=len(t), want=len(o), detail="oracle")))
            continue
        for layer, (a, b) in enumerate(zip(t, o), start=2):
            why = mismatch(a, b, quantity, layer)
            if why is not None:
                found.append(TensorCheck.structural(why))
    return tuple(found)


def _structure(case: Case, tested: Gradients, provides: tuple[str, ...] = QUANTITIES) -> tuple[TensorCheck, ...]:
    """The implementation's gradients against the shapes and dtype the case calls for (the
    quantities it provides)."""
    net = case.network
    want = Gradients(
        loss=0.0,
        deltas=[np.empty((W.shape[0], case.x.shape[1]), net.dtype) for W in net.weights] if "deltas" in provides else [],
        weights=[np.empty(W.shape, net.dtype) for W in net.weights],
        biases=[np.empty(b.shape, net.dtype) for b in net.biases],
    )
    return _mismatched(tested, want)


__all__ = [
    "check_case",
    "check_cases",
    "compare",
    "stack_judgements",
    "step_check",
]
