"""Negative controls: the search for a case on which an oracle rejects each mutant.

A checker that never fails proves nothing. `hunt` draws cases (`crosscheck.strategies`)
until the pipeline rejects the mutant (`crosscheck.mutants`), and shrinks the case to a
minimal one; the certificate and the tests run it for every mutant and every oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crosscheck.case import Case
from crosscheck.check import check_case, step_check
from crosscheck.mutants import MUTANTS, Mutant
from crosscheck.strategies import SEARCH_PHASES, cases


@dataclass(frozen=True)
class Catch:
    """How one oracle caught one mutant."""

    oracle: str
    examples: int
    """Cases drawn until the first failing one (before shrinking)."""
    counterexample: Any
    """The shrunk `Case` (with the real reference's network class)."""
    message: str
    """The first line of the failure report on the shrunk case."""


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    catches: dict[str, Catch | None]

    @property
    def caught(self) -> bool:
        return all(c is not None for c in self.catches.values())

    @property
    def caught_by(self) -> list[str]:
        return sorted(name for name, c in self.catches.items() if c is not None)

    @property
    def missed_by(self) -> list[str]:
        return sorted(name for name, c in self.catches.items() if c is None)

    @property
    def examples(self) -> dict[str, int]:
        """Cases drawn until caught, per oracle that caught it."""
        return {name: c.examples for name, c in self.catches.items() if c is not None}

    def as_dict(self) -> dict[str, Any]:
        return {
            "mutant": self.mutant.name,
            "description": self.mutant.description,
            "caught_by": self.caught_by,
            "missed_by": self.missed_by,
            "examples": self.examples,
            "counterexample": {name: c.counterexample.label for name, c in self.catches.items() if c is not None},
            "message": {name: c.message for name, c in self.catches.items() if c is not None},
        }


def failure(mutant: Mutant, case: Any, oracle: str) -> str | None:
    """The first line of the report if `oracle` rejects `mutant` on `case`, else None."""
    network = mutant.build(case.network)
    try:
        if mutant.check == "step":
            comparison = step_check(Case(network, case.x, case.y, case.origin), oracle)
            return None if comparison.ok else comparison.report().splitlines()[0]
        result = check_case(Case(network, case.x, case.y, case.origin), [oracle])
    except (ArithmeticError, ValueError) as error:
        return f"the mutant raised {type(error).__name__}: {error}"
    return None if result.ok else result.report().splitlines()[0]


def hunt(mutant: Mutant, oracle: str, *, max_examples: int = 500, shrink: bool = True) -> Catch | None:
    """Search for a case on which `oracle` rejects `mutant`; shrink it (unless `shrink` is
    False: then the first failing case is kept). None if none is found."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    calls = {"n": 0, "first": 0}

    def rejected(case: Any) -> bool:
        calls["n"] += 1
        bad = failure(mutant, case, oracle) is not None
        if bad and not calls["first"]:
            calls["first"] = calls["n"]
        return bad

    config = settings(
        max_examples=max_examples,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase[name] for name in SEARCH_PHASES] if shrink else [Phase.generate],
    )
    try:
        minimal = find(cases(**mutant.strategy), rejected, settings=config)
    except NoSuchExample:
        return None
    return Catch(oracle, calls["first"], minimal, failure(mutant, minimal, oracle) or "")


def negative_controls(oracles: list[str], *, max_examples: int = 500) -> list[MutantResult]:
    """Every mutant against every oracle named."""
    return [
        MutantResult(mutant, {oracle: hunt(mutant, oracle, max_examples=max_examples) for oracle in oracles})
        for mutant in MUTANTS.values()
    ]
