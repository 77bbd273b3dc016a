"""All oracles at once on one case, and who agrees with whom when they disagree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from crosscheck import scales as _scales
from crosscheck.case import Case
from crosscheck.compare import Comparison, _names, compare, mismatch_line
from crosscheck.jax_oracle import jax_forward_gradients, jax_gradients
from crosscheck.numeric import numeric_gradients, numeric_gradients_with_error
from crosscheck.tolerances import AUTOGRAD_KIND, FINITE_DIFFERENCES_KIND
from crosscheck.torch_oracle import torch_gradients
from reference import Gradients, Network

OracleFunction = Callable[[Network, np.ndarray, np.ndarray], Gradients]


@dataclass(frozen=True)
class Oracle:
    name: str
    function: OracleFunction
    kind: str
    framework: str | None
    """The module it needs ("torch", "jax"), or None."""
    with_error: Callable[[Network, np.ndarray, np.ndarray], tuple[Gradients, Gradients]] | None = None
    """The same, with the oracle's own per-element error estimate, where it has one."""


ORACLES: dict[str, Oracle] = {
    "torch": Oracle("torch", torch_gradients, AUTOGRAD_KIND, "torch"),
    "jax": Oracle("jax", jax_gradients, AUTOGRAD_KIND, "jax"),
    "jax_forward": Oracle("jax_forward", jax_forward_gradients, AUTOGRAD_KIND, "jax"),
    "numeric": Oracle("numeric", numeric_gradients, FINITE_DIFFERENCES_KIND, None, numeric_gradients_with_error),
}


@dataclass(frozen=True)
class CaseCheck:
    """The reference against several oracles on one case."""

    case: Case
    reference: Gradients
    comparisons: dict[str, Comparison]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.comparisons.values())

    def verdict(self) -> str:
        """Who agrees with whom: several oracles against the reference blames the reference."""
        against = [name for name, c in self.comparisons.items() if not c.ok]
        agree = [name for name, c in self.comparisons.items() if c.ok]
        if not against:
            return f"the reference agrees with {_names(agree)}"
        if len(against) >= 2 and not agree:
            return f"{_names(against)} all disagree with the reference: the reference is wrong"
        if len(against) >= 2:
            return (
                f"{_names(against)} disagree with the reference while {_names(agree)} agree(s) "
                "with it: look at what the disagreeing oracles share"
            )
        if agree:
            return (
                f"only {against[0]} disagrees with the reference; {_names(agree)} agree(s) "
                f"with it: suspect the {against[0]} oracle or its tolerance"
            )
        return f"{against[0]} disagrees with the reference (the only oracle that ran)"

    def report(self) -> str:
        if self.ok:
            return self.verdict()
        # Group the oracles that fail on the same tensor into one line.
        lines: list[str] = []
        by_tensor: dict[tuple[str, int | None], list[tuple[str, object]]] = {}
        for name, comparison in self.comparisons.items():
            for t in comparison.mismatches:
                by_tensor.setdefault((t.quantity, t.layer), []).append((name, t))
        for entries in by_tensor.values():
            worst = max(entries, key=lambda e: e[1].ratio)[1]  # type: ignore[attr-defined]
            lines.append(mismatch_line(worst, [n for n, _ in entries]) + " " + self.case.label)  # type: ignore[arg-type]
        names = ", ".join(repr(n) for n in self.comparisons)
        lines += [
            self.verdict(),
            "",
            "Rebuild the case:",
            "",
            self.case.reproduction(f"crosscheck.assert_case(case, oracles=[{names}])"),
        ]
        return "\n".join(lines)


def check_case(case: Case, oracles: Sequence[str] | None = None) -> CaseCheck:
    """Run the reference and each named oracle (default: all) on `case` and compare."""
    names = list(ORACLES) if oracles is None else list(oracles)
    unknown = [n for n in names if n not in ORACLES]
    if unknown:
        raise ValueError(f"unknown oracle(s) {unknown}; known: {list(ORACLES)}")
    reference = case.network.backward(case.x, case.y)
    scales = _scales.magnitudes(case)
    comparisons = {}
    for name in names:
        oracle = ORACLES[name]
        error = None
        if oracle.with_error is not None:
            gradients, error = oracle.with_error(case.network, case.x, case.y)
        else:
            gradients = oracle.function(case.network, case.x, case.y)
        comparisons[name] = compare(
            reference, gradients, case=case, scales=scales, oracle_error=error, oracle_name=name, kind=oracle.kind
        )
    return CaseCheck(case, reference, comparisons)


def step_check(case: Case, oracle: str, learning_rate: float = 0.5) -> Comparison:
    """One update of `case.network` (its own `step`) against the oracle's update.

    torch takes one `torch.optim.SGD` step and jax one `jax.grad` step; the other
    oracles apply W − η ∂C/∂W to their gradients. Each element is compared at the
    scale |W| + η S(∂C/∂W).
    """
    from crosscheck.compare import compare_parameters
    from crosscheck.training import jax_sgd_step, torch_sgd_step

    network = case.network
    stepped = type(network)(
        network.weights,
        network.biases,
        activation=network.activation.name,
        output_activation=network.output_activation.name,
        loss=network.loss.name,
    )
    stepped.step(stepped.backward(case.x, case.y), learning_rate)
    if oracle == "torch":
        expected = torch_sgd_step(network, case.x, case.y, learning_rate)
    elif oracle == "jax":
        expected = jax_sgd_step(network, case.x, case.y, learning_rate)
    else:
        g = ORACLES[oracle].function(network, case.x, case.y)
        eta = network.dtype.type(learning_rate)
        expected = (
            [W - eta * dW for W, dW in zip(network.weights, g.weights)],
            [b - eta * db for b, db in zip(network.biases, g.biases)],
        )
    S = _scales.magnitudes(case)
    scales = (
        [np.abs(W.astype(np.float64)) + learning_rate * s for W, s in zip(network.weights, S.weights)],
        [np.abs(b.astype(np.float64)) + learning_rate * s for b, s in zip(network.biases, S.biases)],
    )
    kind = ORACLES[oracle].kind
    return compare_parameters((stepped.weights, stepped.biases), expected, scales=scales, oracle_name=oracle, kind=kind)


def assert_case(case: Case, oracles: Sequence[str] | None = None) -> CaseCheck:
    """`check_case`, raising AssertionError with the full report on any mismatch."""
    result = check_case(case, oracles)
    if not result.ok:
        raise AssertionError(result.report())
    return result
