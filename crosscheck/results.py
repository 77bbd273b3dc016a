"""The results of a check: one oracle on one case (`Comparison`), several oracles on one case
(`CaseCheck`), several oracles on many cases (`ManyCheck`).

Each renders as text (`report`), Markdown (`markdown`) and a JSON-ready dict (`as_dict`),
and raises on request (`assert_ok`). A result names the implementation it judged ("the
reference", "your implementation") from that implementation alone, and its reproduction
rebuilds the failure around that implementation: the case bit for bit, then the check
that failed (`check_case`, `step_check` or `compare`, as the result's `rebuild` says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from crosscheck.case import REFERENCE, Case, Implementation
from crosscheck.findings import Diagnosis, PrecisionNote
from crosscheck.judge import TensorCheck, join, mismatch_line
from crosscheck.tolerances import Tolerance
from reference import Gradients

R = TypeVar("R", bound="_Result")


class _Result:
    """What every result does with its `ok`, its `report()` and its `implementation`."""

    implementation: Implementation

    @property
    def who(self) -> str:
        """How the report names the implementation under test ("the reference", "your implementation")."""
        return self.implementation.name

    @property
    def ok(self) -> bool:
        raise NotImplementedError

    def report(self) -> str:
        raise NotImplementedError

    def assert_ok(self: R) -> R:
        """This result, or AssertionError with its full report when anything is off."""
        if not self.ok:
            raise AssertionError(self.report())
        return self


@dataclass(frozen=True)
class Comparison(_Result):
    """The implementation under test against one oracle, for one case."""

    oracle: str
    kind: str
    dtype: np.dtype
    tolerance: Tolerance
    tensors: tuple[TensorCheck, ...]
    case: Case | None = None
    implementation: Implementation = REFERENCE
    values: Gradients | None = None
    """The oracle's own gradients, where the pipeline computed them (for the diagnosis)."""
    rebuild: str = ""
    """The lines of the reproduction after the case's: the setup and the check that failed
    ("": `check_case` on this oracle, around `implementation`)."""

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
            lines += ["", "Rebuild the case:", "", self.reproduction()]
        return "\n".join(lines)

    def reproduction(self) -> str:
        """Python source that rebuilds the case and runs the check that failed."""
        if self.case is None:
            raise ValueError("a comparison made without a case (compare(scales=...)) has no reproduction")
        if self.rebuild:
            return self.case.reproduction(self.rebuild)
        return self.case.reproduction(self.implementation.check_call([self.oracle]), self.implementation.setup)


@dataclass(frozen=True)
class CaseCheck(_Result):
    """The implementation under test against several oracles on one case."""

    case: Case
    tested: Gradients
    comparisons: dict[str, Comparison]
    implementation: Implementation = REFERENCE
    found: Diagnosis | None = None
    """The diagnosis, when something failed (`check_case` makes it: `crosscheck.diagnosis`)."""
    hand_written: dict[str, list[str]] = field(default_factory=dict)
    """Per oracle, the entries of this case whose counterpart is an expression written in
    crosscheck/counterparts.py rather than a framework built-in."""
    precision: PrecisionNote | None = None
    """Where the implementation agrees but is less precise than the frameworks (a note)."""
    intermittent: tuple[int, int] | None = None
    """(k, n): the case failed in k of n runs of the same check (a result that comes and goes)."""

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
        hand = {name: self.hand_written.get(name, []) for name in against}
        if not agree and all(hand.values()):
            # Every dissenting oracle computes with an expression written in crosscheck/counterparts.py for
            # some entry of this case: the counterparts and the implementation disagree; who is wrong is open.
            entries = sorted({e for names in hand.values() for e in names})
            errors = "; ".join(
                f"{name}: |diff| {c.worst.difference:.1e} against tol {c.worst.tolerance:.1e}"
                for name, c in ((n, self.comparisons[n]) for n in against)
            )
            return (
                f"{join(against)} {'disagrees' if len(against) == 1 else 'disagree'} with {self.who}, but each rests on "
                "hand-written counterparts "
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
        """The equation implicated and the slip it looks like (None when everything agrees)."""
        return self.found

    def report(self) -> str:
        if self.ok:
            return self.verdict() + ("" if self.precision is None else "\n" + self.precision.text(self.who))
        found = self.diagnosis()
        explained = [found.text(self.who)] if found is not None and found.text(self.who) else []
        comes_and_goes = [self.intermittent_line()] if self.intermittent else []
        rebuild = ["", "Rebuild the case:", "", self.reproduction()]
        return "\n".join([*comes_and_goes, *self.mismatch_lines(), self.verdict(), *explained, *rebuild])

    def intermittent_line(self) -> str:
        """ "Intermittent: ... fails in k of n runs of this case"."""
        k, n = self.intermittent or (0, 0)
        return (
            f"Intermittent: {self.who} fails in {k} of {n} runs of this same case (the other runs agree): "
            "its result depends on something other than its inputs (state kept between calls, "
            "threads, or randomness); the run below is one that failed."
        )

    def markdown(self) -> str:
        if self.ok:
            return f"**{self.verdict()}** {self.case.label}"
        found = self.diagnosis()
        lines = [f"**{self.verdict()}**", "", *([self.intermittent_line(), ""] if self.intermittent else [])]
        lines += [f"- {line}" for line in self.mismatch_lines()]
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
            "diagnosis": None if self.ok else diagnosis_dict(self.diagnosis()),
            "reproduction": None if self.ok else self.reproduction(),
            "intermittent": None if self.intermittent is None else list(self.intermittent),
            "precision_note": None if self.precision is None else self.precision.text(self.who),
        }


@dataclass(frozen=True)
class ManyCheck(_Result):
    """The implementation under test against several oracles on many cases."""

    cases: list[Case]
    oracles: tuple[str, ...]
    worst: dict[str, np.ndarray]
    """Per oracle, per case: the largest |diff|/tol over every element (≤ 1 passes)."""
    failures: list[CaseCheck]
    """Every case flagged in its stack that fails when checked alone."""
    cleared: list[int]
    """Cases flagged in a padded stack that pass alone (empty unless padding leaks)."""
    implementation: Implementation = REFERENCE
    strict: dict[str, np.ndarray] | None = None
    """Per oracle, per case: the largest |diff|/tol at the reference's strict error scale (for an
    implementation judged as "any" formulation: over 1 where it is less precise than the frameworks)."""

    @property
    def imprecise(self) -> list[int]:
        """The cases that agree but fail the reference's strict standard (a note, not a failure)."""
        if self.strict is None:
            return []
        passed = np.all([self.worst[name] <= 1 for name in self.oracles], axis=0)
        passed[self.cleared] = True
        strict_over = np.any([~(self.strict[name] <= 1) for name in self.oracles], axis=0)
        return [int(i) for i in np.flatnonzero(passed & strict_over)]

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


def diagnosis_dict(found: Diagnosis | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "quantity": found.quantity,
        "layer": found.layer,
        "equation": found.equation,
        "slips": [slip.text for slip in found.slips],
        "slip_keys": list(found.keys),
        "problem": None if found.problem is None else found.problem.kind,
    }
