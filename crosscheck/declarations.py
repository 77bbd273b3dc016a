"""When your code computes another network than the one declared: which declaration would make it agree.

A failing case's network, with every other hidden activation, output activation and loss of the
catalogue (and an L2 term c·ΣW² fitted to the difference in ∂C/∂W), is run through the
reference's backward, here, in NumPy: a candidate whose gradients equal yours on this case is a
hint. The first one, fewest names changed, is then confirmed the only way a verdict is reached,
by the oracles (`check.check_case` on the same case redeclared), and the diagnosis names the
declaration to make ("declare activation='relu', output_activation='softmax',
loss='cross_entropy'"). The reference is used to look, never to judge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from crosscheck.case import Case
from crosscheck.findings import Diagnosis, Slip, to_a_student
from reference import ACTIVATIONS, LOSSES, Gradients, Network

SEARCHED = 400
"""Candidate networks tried at most (every catalogue combination, the declared one's neighbours first)."""


@dataclass(frozen=True)
class Redeclaration:
    """Names (and an L2 coefficient in the derivation's mean cost) under which your code agrees."""

    activation: str
    output_activation: str
    loss: str
    l2: float = 0.0

    def changes(self, names: tuple[str, str, str]) -> list[str]:
        """The declarations that differ from `names` (hidden, output, loss), as keyword arguments."""
        out = [
            f"{key}={value!r}"
            for key, value, declared in zip(("activation", "output_activation", "loss"), self.names, names)
            if value != declared
        ]
        if self.l2:
            out.append(f"l2={self.l2:.4g} (l2_form='reg', on the mean cost)")
        return out

    @property
    def names(self) -> tuple[str, str, str]:
        return self.activation, self.output_activation, self.loss


def combinations(names: tuple[str, str, str]) -> Iterator[tuple[str, str, str]]:
    """Every valid (hidden, output, loss) of the catalogue but `names`, those changing fewer names first."""
    hidden = [n for n, entry in ACTIVATIONS.items() if entry.elementwise]
    every = [
        (h, o, l)
        for h in hidden
        for o in ACTIVATIONS
        for l, loss in LOSSES.items()
        if (loss.output is None or loss.output == o) and (h, o, l) != names
    ]
    yield from sorted(every, key=lambda c: sum(a != b for a, b in zip(c, names)))[:SEARCHED]


def candidates(case: Case, tested: Gradients) -> list[Redeclaration]:
    """Every redeclaration under which the reference's gradients equal `tested` on `case` (hints, unconfirmed)."""
    found = []
    net = case.network
    for hidden, output, loss in combinations(case.names):
        try:
            other = Network(net.weights, net.biases, activation=hidden, output_activation=output, loss=loss)
            with np.errstate(all="ignore"):
                truth = other.backward(case.x, case.y)
        except (ValueError, FloatingPointError, TypeError):  # targets outside this loss's domain, an overflow
            continue
        l2 = _matching(tested, truth, net.weights)
        if l2 is not None:
            found.append(Redeclaration(hidden, output, loss, l2))
    return found


def _matching(tested: Gradients, truth: Gradients, weights: list[np.ndarray]) -> float | None:
    """0 when the gradients match, c when they match once ∂C/∂W carries 2cW (an L2 term), else None."""
    if len(tested.weights) != len(truth.weights) or len(tested.biases) != len(truth.biases):
        return None
    rtol = 1e-3 if weights[0].dtype == np.float32 else 1e-7
    if not all(_close(t, r, rtol) for t, r in zip(tested.biases, truth.biases)):
        return None
    if all(_close(t, r, rtol) for t, r in zip(tested.weights, truth.weights)):
        return 0.0
    excess = [np.asarray(t, np.float64) - r for t, r in zip(tested.weights, truth.weights)]
    norm = sum(float(np.sum(W.astype(np.float64) ** 2)) for W in weights)
    if norm == 0:
        return None
    c = sum(float(np.sum(e * W)) for e, W in zip(excess, weights)) / (2 * norm)
    fits = c > 0 and all(_close(e, 2 * c * W, rtol) for e, W in zip(excess, weights))
    return c if fits else None


def _close(tested: Any, truth: np.ndarray, rtol: float) -> bool:
    tested = np.asarray(tested, dtype=np.float64)
    if tested.shape != truth.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(truth), initial=0.0)))
    return bool(np.allclose(tested, truth, rtol=rtol, atol=rtol * scale))


def evidence(failure: Any, confirm: Callable[[Case, Redeclaration], bool]) -> Any:
    """The failing CaseCheck with the diagnosis of the first candidate `confirm` accepts (the oracles agree
    on the same case redeclared), or unchanged."""
    case, tested = failure.case, failure.tested
    if not tested.weights or any(t.problem is not None for c in failure.comparisons.values() for t in c.tensors):
        return failure
    for candidate in candidates(case, tested)[:3]:
        other = Network(
            case.network.weights,
            case.network.biases,
            activation=candidate.activation,
            output_activation=candidate.output_activation,
            loss=candidate.loss,
        )
        if confirm(Case(other, case.x, case.y, origin=case.origin), candidate):
            return replace(failure, found=_found(failure.found, candidate, case.names, failure.implementation.name))
    return failure


def _found(old: Diagnosis | None, candidate: Redeclaration, names: tuple[str, str, str], who: str) -> Diagnosis:
    """The diagnosis with the undeclared convention first: what agreed, and the declarations to make."""
    changes = ", ".join(candidate.changes(names))
    flags = " ".join(_flag(change) for change in candidate.changes(names))
    slip = Slip(
        "undeclared",
        f"{who} agrees with the oracles on this same case once declared {changes}: it computes another network than "
        f"the one declared; if that is the one you mean, declare it (verify: {flags})",
    )
    if to_a_student():  # the assignment fixed the network: another one is the slip, never a declaration to make
        slip = Slip("undeclared", f"{who} computes another network than the assignment's: it agrees once {changes}")
        if old is not None and old.equation:
            return old  # an equation named: another network is no hint a student should follow
    if old is None or not old.equation:
        return (
            Diagnosis(None, None, "declaration", (slip,)) if old is None else replace(old, equation="declaration", slips=(slip,))
        )
    return replace(old, slips=(*old.slips, slip))  # the equation stays named; the declaration is one more hypothesis


def _flag(change: str) -> str:
    """activation='relu' as its verify option, --activation relu."""
    key, _, value = change.partition("=")
    if key == "l2":
        return f"--l2 {value.split()[0]} --l2-form reg"
    return f"--{key.replace('_', '-')} {value.strip(chr(39))}"
