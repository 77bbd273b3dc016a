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
from crosscheck.convention import Convention
from crosscheck.findings import Diagnosis, PrecisionNote
from crosscheck.judge import TensorCheck, join, mismatch_line
from crosscheck.tolerances import Tolerance
from reference import Gradients

R = TypeVar("R", bound="_Result")

UNFINISHED = ("timed_out", "died", "garbled")
"""The problems of a call that did not come back: the case was not finished."""


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

    def markdown(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        """One line: the verdict, cut short (the whole of it: `.report()`, `.markdown()`, `.as_dict()`)."""
        first = self.report().splitlines()[0] if self.report() else ""
        shown = first if len(first) <= REPR else first[: REPR - 1] + "…"
        return f"<{type(self).__name__} ok={self.ok}: {shown}>"

    def _repr_markdown_(self) -> str:
        """What a notebook shows: the Markdown report."""
        return self.markdown()


REPR = 160
"""Characters of a result's verdict its repr shows."""


@dataclass(frozen=True, repr=False)
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
        lines = [mismatch_line(t, [self.oracle], self.who, _yours(self.implementation, t)) + label for t in self.mismatches]
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


@dataclass(frozen=True, repr=False)
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
    printed: str = ""
    """What your code printed during this case, when it failed (the end of it)."""
    revealed: CaseCheck | None = None
    """Where your code raised (or answered in the wrong structure) here: a case where it runs and disagrees,
    whose diagnosis `found` is (`verify` looks for one: square layers, one sample, a layer more or fewer)."""

    @property
    def unfinished(self) -> bool:
        """Whether your code did not finish this case (it timed out, or its process died or garbled its answer)."""
        return any(t.problem is not None and t.problem.kind in UNFINISHED for c in self.comparisons.values() for t in c.tensors)

    def _yours_layer(self) -> str:
        """The diagnosed quantity's name in your convention ("your weights[0]"), or ""."""
        found = self.found
        if found is None or found.quantity is None or self.implementation.yours is None:
            return ""
        return self.implementation.yours(found.quantity, found.layer, ())

    def printed_lines(self) -> list[str]:
        """What your code printed during this case (the call that failed to answer, or all its calls), its end."""
        printed = next((t.problem.output for c in self.comparisons.values() for t in c.tensors if t.problem is not None), "")
        printed = printed or self.printed
        if not printed.strip():
            return []
        kept = printed.rstrip().splitlines()[-20:]
        return [f"{self.implementation.subject} printed, during this case (its end):", *("    | " + k[:300] for k in kept)]

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
        if self.unfinished:
            return f"{self.who} did not finish this case: nothing of it was compared, and it counts against {self.who}"
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
            lines.append(
                mismatch_line(worst, [n for n, _ in entries], self.who, _yours(self.implementation, worst))
                + " "
                + self.case.label
            )
        return lines

    def reproduction(self) -> str:
        check = self.implementation.check_call(list(self.comparisons))
        return self.case.reproduction(check, self.implementation.setup)

    @property
    def split(self) -> bool:
        """Whether the oracles split on this case: some agree with the code under test, some do not. That is no
        verdict on the code: the oracles disagree with each other."""
        agree = [c.ok for c in self.comparisons.values()]
        return not self.unfinished and any(agree) and not all(agree)

    def diagnosis(self) -> Diagnosis | None:
        """The equation implicated and the slip it looks like (None when everything agrees, or the oracles split)."""
        return None if self.split else self.found

    def report(self) -> str:
        if self.ok:
            return self.verdict() + ("" if self.precision is None else "\n" + self.precision.text(self.who))
        found = self.diagnosis()
        explained = [found.text(self.who, self._yours_layer())] if found is not None and found.text(self.who) else []
        if self.revealed is not None:
            explained = self.revealed_lines()
        comes_and_goes = [self.intermittent_line()] if self.intermittent else []
        rebuild = ["", "Rebuild the case:", "", self.reproduction()]
        return "\n".join([*comes_and_goes, *self.mismatch_lines(), self.verdict(), *explained, *self.printed_lines(), *rebuild])

    def revealed_lines(self) -> list[str]:
        """The case where your code runs, and the slip it shows there."""
        other = self.revealed
        if other is None or other.found is None:
            return []
        return [
            "",
            f"On another case it runs, and disagrees: {other.case.label}",
            *other.mismatch_lines(),
            other.found.text(self.who, other._yours_layer()),
        ]

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
        if self.revealed is not None:
            lines += self.revealed_lines()
        elif found is not None and found.text(self.who):
            lines += ["", found.text(self.who, self._yours_layer())]
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
            "revealed": None if self.revealed is None else self.revealed.as_dict(),
        }


@dataclass(frozen=True, repr=False)
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
    not_run: list[int] = field(default_factory=list)
    """Cases your implementation was not called on: the sweep stopped after cases that did not finish."""
    given: tuple[str, ...] = ()
    """The quantities your implementation's answers gave (loss, deltas, weights, biases), in any case judged."""
    unconfirmed: list[int] = field(default_factory=list)
    """Cases flagged in their stacks and not rechecked alone (the first `check.CONFIRMED` flagged
    cases all failed alone as well): they fail on their stack's judgement."""

    @property
    def failing(self) -> int:
        """Cases that fail: those confirmed alone and those judged in their stacks only."""
        return len(self.failures) + len(self.unconfirmed)

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
        return not self.failures and not self.not_run

    @property
    def judged(self) -> int:
        """Cases judged: every case but those not run."""
        return len(self.cases) - len(self.not_run)

    def report(self) -> str:
        if self.not_run and not self.failures:
            return f"{len(self.not_run)} of {len(self.cases)} cases were not run: nothing is claimed for them"
        if self.ok:
            worst = ", ".join(f"{name} {self.worst[name].max(initial=0.0):.2g}" for name in self.oracles)
            cleared = f"; {len(self.cleared)} flagged in a padded group passed alone" if self.cleared else ""
            return (
                f"{self.who} agrees with {join(list(self.oracles))} on all {len(self.cases)} cases "
                f"(worst |diff|/tol: {worst}{cleared})"
            )
        skipped = f" ({len(self.not_run)} more not run)" if self.not_run else ""
        return f"{self.failing} of {len(self.cases)} cases fail{skipped}{self.alone}; the first:\n\n{self.failures[0].report()}"

    @property
    def alone(self) -> str:
        """How many of the failing cases were each rechecked alone, when not all were."""
        if not self.unconfirmed:
            return ""
        return f" ({len(self.failures)} each rechecked alone, the other {len(self.unconfirmed)} judged in their stacks)"

    def markdown(self) -> str:
        if not self.failures:
            return f"**{self.report()}**"
        return f"**{self.failing} of {len(self.cases)} cases fail**{self.alone}; the first:\n\n{self.failures[0].markdown()}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": len(self.cases),
            "oracles": list(self.oracles),
            "ok": self.ok,
            "worst_ratio": {name: float(self.worst[name].max(initial=0.0)) for name in self.oracles},
            "failures": [f.as_dict() for f in self.failures],
            "cleared": self.cleared,
            "not_run": self.not_run,
            "unconfirmed": self.unconfirmed,
        }


def _yours(implementation: Implementation, t: TensorCheck) -> str:
    """A tensor's element named in the convention of the implementation judged ("" for the reference)."""
    if implementation.yours is None or t.problem is not None:
        return ""
    return implementation.yours(t.quantity, t.layer, t.index)


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


@dataclass(frozen=True)
class Counts:
    """Every case asked for, accounted for, per dtype: judged, left unjudged by a declared
    convention (a kink's slope, a clip), not finished by your code (it timed out, or its process
    died), and not run (the sweep stopped after cases that did not finish)."""

    asked: dict[str, int] = field(default_factory=dict)
    judged: dict[str, int] = field(default_factory=dict)
    unjudged: int = 0
    not_finished: int = 0
    not_run: int = 0

    @property
    def total(self) -> int:
        return sum(self.asked.values())

    @property
    def checked(self) -> int:
        return sum(self.judged.values())

    @property
    def complete(self) -> bool:
        """Every case asked for was judged, or left unjudged by a declared convention."""
        return self.not_finished == 0 and self.not_run == 0 and self.checked + self.unjudged == self.total

    def words(self, why_unjudged: str) -> list[str]:
        """The counts as a report's parts: per dtype judged, and each kind of case not judged."""
        parts = [", ".join(f"{n:,} {d}" for d, n in self.judged.items()) + " judged"]
        if self.unjudged:
            parts.append(f"{self.unjudged:,} cases not judged, by your declaration: {why_unjudged}")
        if self.not_finished:
            parts.append(f"{self.not_finished:,} cases did not finish")
        if self.not_run:
            parts.append(f"{self.not_run:,} cases not run (the check stopped after cases that did not finish)")
        return parts


@dataclass(frozen=True, repr=False)
class ImplementationCheck(_Result):
    """Your implementation against the oracles on many drawn cases."""

    implementation: Implementation
    convention: Convention
    names: tuple[str, str, str]
    oracles: tuple[str, ...]
    counts: Counts
    worst: dict[str, float]
    """Per oracle: the largest |diff|/tol over every case judged."""
    failure: CaseCheck | None = None
    """The (shrunk) failing case, with its report and diagnosis."""
    shrunk: bool = False
    failing: int = 0
    """How many cases of the sweep failed (those that did not finish included)."""
    unconfirmed: int = 0
    """How many of them failed in their stacks and were not rechecked alone (see ManyCheck.unconfirmed)."""
    given: tuple[str, ...] = ()
    """The quantities your answers gave (loss, deltas, weights, biases) and were judged."""
    steps: int = 0
    step_failure: Comparison | None = None
    step_note: str = ""
    step_slips: tuple[str, ...] = ()
    """The keys of the slips the failing update's diagnosis names (crosscheck.findings.SLIPS)."""
    notes: list[str] = field(default_factory=list)
    precision: PrecisionNote | None = None
    """Where your implementation agrees but is less precise than the frameworks (a note, only when it agrees)."""
    unchecked: str = ""
    """Why your code could not be checked at all (it could not be loaded, or two readings of it fit), or ""."""
    found: Any = None
    """What probing found your code does (`crosscheck.probe.Found`), when nothing was declared; else None."""
    probed: bool = False
    """Whether the check probed your code (no convention given), whatever it found."""

    @property
    def judged(self) -> dict[str, int]:
        """Cases judged, per dtype."""
        return self.counts.judged

    @property
    def checked(self) -> int:
        """Cases judged in all (0: nothing was compared, and that is no agreement)."""
        return self.counts.checked

    @property
    def ok(self) -> bool:
        """Every case asked for judged (or left unjudged by a declared convention, and counted) and agreed."""
        return (
            not self.unchecked
            and self.checked > 0
            and self.counts.complete
            and self.failure is None
            and self.step_failure is None
        )

    def summary(self) -> str:
        who = self.implementation.name
        if self.unchecked:
            return f"Could not check {who}: {self.unchecked}. Nothing verified"
        hidden, output, loss = self.names
        acts = hidden if output == hidden else f"{hidden}→{output}"
        parts = [f"{acts}/{loss}", f"convention {self.convention.describe()}", *self.counts.words(self._why_unjudged())]
        if self.found is not None and self.found.refused:
            low, high = self.found.layers or (0, 0)
            parts.append(
                f"drawn at {low}-{high} weight layer(s) only: your code does not accept "
                f"{', '.join(map(str, sorted(self.found.refused)))} (see below)" + ("; BP2 never ran" if high == 1 else "")
            )
        if self.steps:
            parts.append(f"{self.steps:,} updates checked")
        where = "in a process of its own" if self.implementation.isolated else "in this process (isolate=False)"
        if self.checked == 0 and self.failure is None:
            return f"Nothing checked: no drawn case was judged [{'; '.join(parts)}]: {who} is not verified"
        if self.ok:
            worst = ", ".join(f"{name} {ratio:.2g}" for name, ratio in self.worst.items())
            how = f"worst |diff|/tol: {worst}; each case called twice {where}, its inputs left unchanged"
            return (
                f"{who} agrees with {join(list(self.oracles))} on all {self.checked:,} cases judged of {self.counts.total:,} "
                f"asked [{'; '.join(parts)}; {how}]"
            )
        if self.failure is not None and self.failure.split:
            return (
                f"No verdict on {who}: the oracles disagree with each other on its cases ({self.failure.verdict()}) "
                f"[{'; '.join(parts)}]"
            )
        if self.failure is not None and self.failure.unfinished and self.step_failure is None:
            return f"{self.implementation.subject} did not finish: nothing it did not finish is judged [{'; '.join(parts)}]"
        return f"{self.implementation.subject} disagrees with the oracles [{'; '.join(parts)}]"

    def _why_unjudged(self) -> str:
        why = []
        if self.convention.kink != "left":
            why.append(f"z exactly on a kink (kink={self.convention.kink!r})")
        if self.convention.clip:
            why.append(f"an output within rounding of the clip's bounds (clip={self.convention.clip:g})")
        return " or ".join(why)

    def found_lines(self, explain: bool = False) -> list[str]:
        """What probing found (the options and the Convention to paste), or that it found nothing."""
        if self.found is not None:
            return ["", self.found.text(explain)]
        if self.probed:
            return [
                "",
                "Probing found no layout in which your code answers in the shapes of its parameters: it was "
                "called in the derivation's (columns); declare yours (--samples, --weights, --biases, ...)",
            ]
        return []

    def report(self, explain: bool = False) -> str:
        lines = [self.summary(), *self.found_lines(explain)]
        if self.failure is not None:
            how = "the minimal case Hypothesis shrank it to" if self.shrunk else "the first failing case"
            alone = f" ({self.unconfirmed:,} of them judged in their stacks, not rechecked alone)" if self.unconfirmed else ""
            lines += ["", f"{self.failing:,} of the cases fail{alone}; {how}:", "", self.failure.report()]
        if self.step_failure is not None:
            lines += ["", "The update:", self.step_failure.report()]
            if self.step_note:
                lines.append(self.step_note)
        if self.precision is not None:
            lines += ["", self.precision.text(self.implementation.name)]
        return "\n".join(lines + self.notes)

    def markdown(self) -> str:
        lines = [f"**{self.summary()}**"]
        lines += [line.replace("\n", "\n\n") for line in self.found_lines()]
        if self.precision is not None:
            lines += ["", self.precision.text(self.implementation.name)]
        if self.failure is not None:
            lines += ["", self.failure.markdown()]
        if self.step_failure is not None:
            lines += ["", "The update:", "", "```", self.step_failure.report(), "```"]
        return "\n".join([*lines, "", *self.notes] if self.notes else lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "implementation": self.implementation.name,
            "isolated": self.implementation.isolated,
            "convention": self.convention.describe(),
            "names": list(self.names),
            "oracles": list(self.oracles),
            "asked": self.counts.asked,
            "cases": self.counts.judged,
            "unjudged_by_convention": self.counts.unjudged,
            "not_finished": self.counts.not_finished,
            "not_run": self.counts.not_run,
            "worst_ratio": self.worst,
            "failing_cases": self.failing,
            "failing_unconfirmed": self.unconfirmed,
            "failure": None if self.failure is None else self.failure.as_dict(),
            "updates_checked": self.steps,
            "update_failure": None if self.step_failure is None else self.step_failure.report(),
            "precision_note": None if self.precision is None else self.precision.text(self.implementation.name),
            "notes": self.notes,
            "unchecked": self.unchecked or None,
            "found": None if self.found is None else self.found.as_dict(),
            "ok": self.ok,
            "verdict": self.summary(),
        }
