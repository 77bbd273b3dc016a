"""Your backprop as the implementation under test: run in its own process, judged as data.

A user's backward pass is a callable `fn(weights, biases, x, y)` that receives the
arrays in its own convention and returns its gradients:

* `(weight_gradients, bias_gradients)`, one array per layer l = 2..L, or
* a dict with "weights" and "biases", and optionally "loss" (C) and "deltas" (δ^l per
  layer): a quantity given is checked, one left out is not.

`implementation(fn, convention=...)` makes it an `Implementation`. Your function runs in a
child process by default (`crosscheck.isolation`: `isolate=False` runs it here), and what it
returns crosses back as data; a `Convention` (`crosscheck.convention`) says how it lays out its
arrays and its cost, and `crosscheck.edge` converts to the derivation's layout once. Each case is
given to your function twice, on fresh copies, to expose state that leaks from call to call (the two
answers must agree within rounding: `_differs`, `_accumulates`);
what it does to the arrays it was given is checked too. Many cases go to the child at once
(`Implementation.answers`), so that a check costs one round trip per few thousand calls.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crosscheck import edge, isolation, wire
from crosscheck.case import Case, Implementation, Parameters
from crosscheck.containment import Cage, Uncontained, unavailable
from crosscheck.convention import (
    CONVENTIONS,
    Convention,
    convention_named,
)
from crosscheck.isolation import DEFAULT_MEMORY, DEFAULT_SECONDS, Limits, Outcome
from crosscheck.judge import judge
from crosscheck.problems import ImplementationProblem, Problem
from crosscheck.scales import magnitudes, with_l2_scale
from crosscheck.tolerances import AUTOGRAD_KIND, tolerance
from crosscheck.wire import type_name
from reference import Gradients

Yours = Callable[..., Any] | str | isolation.Submission
"""Your function, "MODULE:FUNCTION" (imported in the child only, never in this process), or a Submission
(a function in a file, a package or a notebook, loaded in the child)."""


def implementation(  # noqa: PLR0913 (keywords: the convention, the update and how your code runs)
    fn: Yours,
    *,
    convention: str | Convention = "columns",
    update: Yours | None = None,
    provides: Sequence[str] | None = None,
    name: str = "your implementation",
    time_limit: float = DEFAULT_SECONDS,
    memory_limit: float | None = DEFAULT_MEMORY,
    isolate: bool = True,
    contain: Cage | None = None,
) -> Implementation:
    """Your backward pass as an implementation under test.

    `fn(weights, biases, x, y)` gets the case's arrays in `convention`'s layout and returns
    `(weight_gradients, bias_gradients)` or a dict with "weights", "biases" and optionally
    "loss" and "deltas". `update(weights, biases, x, y, learning_rate)`, if given, returns
    the parameters after one gradient-descent step (new lists; checked like a step).
    `provides` lists the quantities `fn` returns (default: whatever each call returns).
    Either may be "MODULE:FUNCTION", imported only where it runs.

    With `isolate` (the default) they run in a child process (`crosscheck.isolation`): each
    call may take `time_limit` seconds, the process `memory_limit` MiB of address space (None:
    no limit), and nothing they do there reaches this process. `isolate=False` runs them here,
    for a function you trust: no time limit, and a function that cannot be pickled is fine. `contain` (a
    `crosscheck.containment.Cage`) runs the child contained by the operating system, as grading does: raises
    `containment.Uncontained` where this machine cannot."""
    c = convention_named(convention)
    _arguments(fn, update, name, provides)
    limits = Limits(_seconds("time_limit", time_limit), _memory(memory_limit), contain)
    if not isinstance(isolate, bool):
        raise TypeError(f"isolate must be True or False, got {isolate!r}")
    if contain is not None:
        if not isinstance(contain, Cage) or not isolate:
            raise TypeError(f"contain must be a crosscheck.containment.Cage, with isolate=True; got {contain!r}")
        if unavailable():
            raise Uncontained(unavailable())
    runner = _runner(fn, update, limits, isolate)
    return _made(runner, c, provides, name, _setup(fn, update, c))


def _arguments(fn: Any, update: Any, name: Any, provides: Any) -> None:
    """The functions, the name and `provides`, checked (the errors name the argument)."""
    for argument, value in (("fn", fn), ("update", update)):
        if value is None and argument == "update":
            continue
        if isinstance(value, isolation.Submission):
            continue
        if isinstance(value, str):
            module, _, function = value.partition(":")
            if not module or not function or module.endswith(".py"):
                hint = (
                    f" (a module's name, not its file: {module.removesuffix('.py')}:{function})" if module.endswith(".py") else ""
                )
                raise ValueError(f"{argument} must read MODULE:FUNCTION, e.g. mynet:backprop, got {value!r}{hint}")
        elif not callable(value):
            what = "backward pass" if argument == "fn" else "update"
            raise TypeError(f"{argument} must be callable (your {what}), got {type(value).__name__}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str (how reports speak of your implementation), got {name!r}")
    if provides is not None:
        if isinstance(provides, str) or not all(isinstance(q, str) for q in provides):
            raise TypeError(
                f"provides must be a sequence of quantity names such as ('loss', 'weights', 'biases'), got {provides!r}"
            )
        unknown = [q for q in provides if q not in ("loss", "deltas", "weights", "biases")]
        if unknown or not {"weights", "biases"} <= set(provides):
            raise ValueError(f"provides must name 'weights' and 'biases', and may add 'loss' and 'deltas'; got {list(provides)}")


def _seconds(argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{argument} must be a number of seconds, got {type(value).__name__} {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{argument} must be a finite number of seconds > 0, got {value}")
    return float(value)


def _memory(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"memory_limit must be a number of MiB (or None: no limit), got {type(value).__name__} {value!r}")
    if not (np.isfinite(value) and value >= 64):
        raise ValueError(f"memory_limit must be a finite number of MiB >= 64 (Python and NumPy alone take about 40), got {value}")
    return float(value)


def _runner(fn: Yours, update: Yours | None, limits: Limits, isolate: bool) -> isolation.Calls:
    """What runs your calls: a child process that imports or unpickles them, or this process."""
    functions = {"backward": fn, **({"update": update} if update is not None else {})}
    if isolate:
        return isolation.Runner({role: _target(f) for role, f in functions.items()}, limits)
    return isolation.InProcess({role: _here(f) for role, f in functions.items()})


def _target(f: Yours) -> isolation.Target:
    if isinstance(f, isolation.Submission):
        return isolation.located(f)
    if isinstance(f, str):
        module, _, name = f.partition(":")
        return isolation.named(module, name)
    return isolation.shipped(f)


def _here(f: Yours) -> Callable[..., Any]:
    """`f`, imported into this process when it was named (isolate=False)."""
    if isinstance(f, isolation.Submission):
        from crosscheck.child import loaded_file

        value: Any = loaded_file(f.path)
        for part in f.name.split("."):
            value = getattr(value, part)
        return value
    if not isinstance(f, str):
        return f
    import importlib

    module, _, name = f.partition(":")
    value = importlib.import_module(module)
    for part in name.split("."):
        value = getattr(value, part)
    return value


def _made(runner: isolation.Calls, c: Convention, provides: Sequence[str] | None, name: str, setup: str) -> Implementation:
    """The Implementation of your functions behind `runner`, in convention `c` (its redeclarations share the runner)."""
    calls = YourCalls(runner, c)
    return Implementation(
        name,
        calls.backward,
        calls.step if "update" in _roles(runner) else None,
        tuple(provides) if provides is not None else None,
        setup=setup,
        formulation="any",
        convention=c,
        redeclared=lambda other: _made(runner, other, provides, name, setup),
        observed=calls.observed,
        submit=calls.submit,
        printed=calls.printed,
        runner=runner,
        yours=your_names(c),
    )


def your_names(c: Convention) -> Callable[[str, int | None, tuple[int, ...]], str]:
    """Each quantity's name in convention `c`: ∂C/∂W^l[j, k] is "your weights[l-2][k, j]" with W as
    (n_in, n_out), ∂C/∂b^l[j, 0] "your biases[l-2][j]" with flat biases, δ^l[j, x] "your deltas[l-2][x, j]"
    with samples as rows, C "your loss"."""

    def yours(quantity: str, layer: int | None, index: tuple[int, ...]) -> str:
        if quantity == "loss" or layer is None:
            return "your loss" if quantity == "loss" else ""
        # an update's new parameters ("W", "b") are named as your update returns them, in your layout
        said = {"W": "updated weights", "b": "updated biases"}.get(quantity, quantity)
        if quantity in ("weights", "W"):
            at = index if c.weights == "out_in" else index[::-1]
        elif quantity in ("biases", "b"):
            at = {"column": index, "flat": index[:1], "row": (0, *index[:1])}[c.biases]
        elif c.per_sample and index:
            return f"your deltas[{layer - 2}] of sample {index[1]}, element {index[0]}"
        else:
            at = index if c.samples == "columns" else index[::-1]
        element = f"[{', '.join(map(str, at))}]" if index else ""
        return f"your {said}[{layer - 2}]{element}"

    return yours


def _roles(runner: isolation.Calls) -> set[str]:
    return set(runner.targets) if isinstance(runner, isolation.Runner) else set(runner.functions)


KEPT = 256
"""Cases whose printed output is kept, for the report of the one that fails."""


@dataclass
class YourCalls:
    """Your function's answers for cases: the calls of each (twice; once per sample for a per-sample
    convention), run by `runner`, taken in at the edge, and the two answers compared."""

    runner: isolation.Calls
    c: Convention
    observed: dict[str, Any] = field(default_factory=dict)
    output: OrderedDict[int, tuple[Case, str]] = field(default_factory=OrderedDict)

    def calls(self, case: Case) -> list[isolation.Call]:
        """One answer's calls: the batch, or each sample, on fresh copies in your layout."""
        samples = range(case.x.shape[1]) if self.c.per_sample else [None]
        return [("backward", edge.inputs(case, self.c, sample)) for sample in samples]

    def submit(self, cases: Sequence[Case]) -> Callable[[], list[Gradients | ImplementationProblem]]:
        """Start every case's calls; what collects each case's gradients in the derivation's layout,
        or the problem that stops judging them."""
        pending = self.runner.submit([self.calls(case) + self.calls(case) for case in cases])
        return lambda: self._collected(cases, pending())

    def _collected(self, cases: Sequence[Case], got: list[list[Outcome]]) -> list[Gradients | ImplementationProblem]:
        results: list[Gradients | ImplementationProblem] = []
        again: list[tuple[int, dict[str, Any], dict[str, Any], Problem]] = []
        for i, (case, outcomes) in enumerate(zip(cases, got)):
            self._keep(case, outcomes)
            half = len(outcomes) // 2
            try:
                first, second = self.taken(case, outcomes[:half]), self.taken(case, outcomes[half:])
            except ImplementationProblem as stopped:
                results.append(stopped)
                continue
            differs = _differs(first, second, case, self.c)
            if differs is not None:
                again.append((i, first, second, differs))
            results.append(ImplementationProblem(differs) if differs is not None else _gradients(first))
        if again:  # two more calls in a row tell accumulation (the same increment each call) from other state
            pairs = self.runner.run([self.calls(cases[i]) + self.calls(cases[i]) for i, *_ in again])
            for (i, first, second, problem), outcomes in zip(again, pairs):
                half = len(outcomes) // 2
                try:
                    third, fourth = self.taken(cases[i], outcomes[:half]), self.taken(cases[i], outcomes[half:])
                    if _accumulates(first, second, third, fourth):
                        results[i] = ImplementationProblem(Problem("accumulates", problem.quantity, problem.layer))
                except ImplementationProblem:
                    pass
        return results

    def backward(self, case: Case) -> Gradients:
        (result,) = self.submit([case])()
        if isinstance(result, ImplementationProblem):
            raise result
        return result

    def taken(self, case: Case, outcomes: list[Outcome]) -> dict[str, Any]:
        """One answer (its calls' outcomes) in the derivation's layout and cost."""
        calls = []
        for outcome in outcomes:
            if outcome.kind != "returned":
                raise ImplementationProblem(problem_of(outcome, "backward", self.runner))
            if outcome.changed:
                raise ImplementationProblem(Problem("changed_input", got=outcome.changed[0]))
            calls.append(edge.in_derivation(edge.parts_of(outcome.value, self.c), case, self.c, self.observed))
        return edge.combined(calls, case, self.c)

    def step(self, case: Case, learning_rate: float) -> Parameters:
        """Your update on the case's batch (a per-sample convention's too: one mini-batch step)."""
        weights, biases, x, y = edge.inputs(case, self.c, None)
        ((outcome,),) = self.runner.run([[("update", (weights, biases, x, y, learning_rate))]])
        if outcome.kind != "returned":
            raise ImplementationProblem(problem_of(outcome, "update", self.runner))
        result = outcome.value
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise ImplementationProblem(Problem("update_returned", got=type_name(result)))
        L, c = case.network.L, self.c
        new_W = []
        for l, (W, old) in enumerate(zip(edge.layers("weights", result[0], L, update=True), case.network.weights), start=2):
            want = old.shape if c.weights == "out_in" else old.shape[::-1]  # W^l's shape in your layout
            if W.shape != want:
                raise ImplementationProblem(Problem("shape", "weights", l, got=W.shape, want=want, detail="update"))
            new_W.append(W.T if c.weights == "in_out" else W)
        rows = case.network.sizes[1:]
        new_b = [
            edge.bias_in(b, c, l + 2, n) for l, (b, n) in enumerate(zip(edge.layers("biases", result[1], L, update=True), rows))
        ]
        return new_W, new_b

    def _keep(self, case: Case, outcomes: list[Outcome]) -> None:
        printed = "".join(o.output for o in outcomes)
        if printed:
            self.output[id(case)] = (case, printed)  # the case is held: its id is not reused while kept
            while len(self.output) > KEPT:
                self.output.popitem(last=False)

    def printed(self, case: Case) -> str:
        """What your code printed during the calls of `case` ("" if nothing, or not kept)."""
        kept = self.output.get(id(case))
        return kept[1] if kept is not None and kept[0] is case else ""


def _gradients(answer: dict[str, Any]) -> Gradients:
    # An absent loss is None and absent δ an empty list: the pipeline judges only what is given.
    return Gradients(loss=answer.get("loss"), deltas=answer.get("deltas", []), weights=answer["weights"], biases=answer["biases"])  # type: ignore[arg-type]


def problem_of(outcome: Outcome, role: str, runner: isolation.Calls) -> Problem:
    """An outcome that is not an answer, as the Problem a report names."""
    raised = "raised" if role == "backward" else "update_raised"
    limit = runner.limits.seconds if isinstance(runner, isolation.Runner) else float("inf")
    output, seconds = outcome.output, outcome.seconds
    if outcome.kind == "raised":
        return Problem(raised, got=outcome.error, detail=outcome.message, at=outcome.where, output=output, seconds=seconds)
    if outcome.kind == "timed_out":
        return Problem("timed_out", got=limit, detail=raised, output=output, seconds=seconds)
    if outcome.kind == "too_large":
        return Problem("too_large", got=outcome.code, want=wire.LARGEST, detail=raised, output=output, seconds=seconds)
    if outcome.kind == "unreadable":
        return Problem("unreadable", got=outcome.error, detail=outcome.message, output=output, seconds=seconds)
    return Problem(outcome.kind, got=outcome.how, detail=raised, output=output, seconds=seconds)  # died, garbled, not_run


def _setup(fn: Yours, update: Yours | None, c: Convention) -> str:
    """The lines of a reproduction that import your function and make `implementation`."""
    lines = []
    names = []
    for f in (fn, update):
        if f is None:
            continue
        if isinstance(f, isolation.Submission):
            lines.append(f"{f.name} = {f!r}")
            names.append(f.name)
            continue
        if isinstance(f, str):
            module, _, qualname = f.partition(":")
        else:
            module, qualname = getattr(f, "__module__", None) or "", getattr(f, "__qualname__", "")
        if not module or module == "__main__" or "<" in qualname:
            lines.append(f"# {getattr(f, '__name__', f)!s} is not importable: define it in a module to rebuild this case")
            names.append(getattr(f, "__name__", "fn"))
        else:
            top = qualname.split(".")[0]
            lines.append(f"from {module} import {top}")
            names.append(qualname)
    conv = repr(c.name) if CONVENTIONS.get(c.name) == c else f"crosscheck.{c!r}"
    update_arg = f", update={names[1]}" if update is not None else ""
    lines.append(f"implementation = crosscheck.implementation({names[0]}, convention={conv}{update_arg})")
    return "\n".join(lines)


__all__ = [
    "YourCalls",
    "implementation",
    "problem_of",
]


# --- two answers to the same case -------------------------------------------------------------------
def _differs(first: dict[str, Any], second: dict[str, Any], case: Case, c: Convention) -> Problem | None:
    """None when two answers agree within rounding (|u − v| ≤ rtol·S, the autograd tolerance
    at the error scale of any sound formulation: a sum taken in another order moves the last
    bits); else where they first differ, as a Problem ("accumulates" with detail "twice" when
    the second is twice the first, else "differs")."""
    scales: Gradients | None = None
    for k in ("loss", "deltas", "weights", "biases"):
        if k not in first:
            continue
        a = first[k] if k != "loss" else [np.atleast_1d(first[k])]
        b = second[k] if k != "loss" else [np.atleast_1d(second[k])]
        for l, (u, v) in enumerate(zip(a, b)):
            if _identical(u, v):
                continue
            layer = None if k == "loss" else l + 2
            if u.shape == v.shape:
                if scales is None:
                    scales = _your_scales(case, c)
                scale = np.atleast_1d(scales.loss) if k == "loss" else getattr(scales, k)[l]
                judged = judge(v, u, scale=scale, tolerance=tolerance(AUTOGRAD_KIND, case.network.dtype), kind=AUTOGRAD_KIND)
                if np.all(judged.ratio <= 1):
                    continue
            with np.errstate(all="ignore"):
                doubled = u.shape == v.shape and np.allclose(v, 2 * u, rtol=1e-6, atol=0) and np.any(u != 0)
            if doubled:
                return Problem("accumulates", k, layer, detail="twice")
            return Problem("differs", k, layer)
    return None


def _your_scales(case: Case, c: Convention) -> Gradients:
    """S of the case's every element, as your implementation is judged (any formulation, the L2 term)."""
    S = magnitudes(case, "any")
    if not c.l2:
        return S
    net = case.network
    coefficient = c.l2_coefficient(case.x.shape[1], net.sizes[-1])
    stacked = with_l2_scale(
        Gradients(np.asarray([S.loss]), [d[None] for d in S.deltas], [w[None] for w in S.weights], [b[None] for b in S.biases]),
        [W[None] for W in net.weights],
        np.array([coefficient]),
    )
    return Gradients(float(np.asarray(stacked.loss)[0]), S.deltas, [w[0] for w in stacked.weights], S.biases)


def _identical(u: np.ndarray, v: np.ndarray) -> bool:
    """np.array_equal(u, v, equal_nan=True) with the shapes equal; the same bytes (the usual case,
    a few times faster to see) are taken as equal at once."""
    if u.shape != v.shape:
        return False
    if u.dtype == v.dtype and u.flags.c_contiguous and v.flags.c_contiguous and u.tobytes() == v.tobytes():
        return True
    return bool(np.array_equal(u, v, equal_nan=True))


def _accumulates(first: dict[str, Any], second: dict[str, Any], third: dict[str, Any], fourth: dict[str, Any]) -> bool:
    """Whether each call on the same case adds the same nonzero increment to the gradients: the first two calls
    in a row and the next two in a row (other cases' calls may come between the pairs) step alike."""
    steps = []
    for u, v, w, t in zip(first["weights"], second["weights"], third["weights"], fourth["weights"]):
        if not (u.shape == v.shape == w.shape == t.shape):
            return False
        with np.errstate(all="ignore"):
            steps.append((v - u, t - w))
    return any(np.any(a != 0) for a, _ in steps) and all(np.allclose(a, b, rtol=1e-6, atol=1e-12) for a, b in steps)
