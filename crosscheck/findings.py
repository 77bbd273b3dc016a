"""What a diagnosis finds, as data: the equations it can implicate, the slips it can name (by
key), and the `Diagnosis` itself, whose `text(who)` builds the sentences where they are shown.
The search for them is `crosscheck.diagnosis`; the results that show them are
`crosscheck.results`."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

from crosscheck.problems import Problem, symbol

_STUDENT = contextvars.ContextVar("crosscheck_for_a_student", default=False)


@contextlib.contextmanager
def for_a_student() -> Iterator[None]:
    """Within it, what a check finds is said to a student graded against an assignment (`crosscheck.grading`):
    no advice about the tool's own declarations, which the assignment fixed and the student cannot change."""
    token = _STUDENT.set(True)
    try:
        yield
    finally:
        _STUDENT.reset(token)


def to_a_student() -> bool:
    """Whether what is found now is said to a graded student (`for_a_student`)."""
    return _STUDENT.get()


def advice(text: str) -> str:
    """`text`, a hint about what to declare to the tool; "" when it is said to a student (`for_a_student`)."""
    return "" if _STUDENT.get() else text


EQUATIONS = {
    "loss": "the cost C (the forward pass or the loss)",
    "BP1": "BP1, δ^L = ∇_a C ⊙ σ'(z^L)",
    "BP2": "BP2, δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)",
    "BP3": "BP3, ∂C/∂b^l = Σ_x δ^l",
    "BP4": "BP4, ∂C/∂W^l = δ^l (a^{l−1})ᵀ",
    "update": "the update W ← W − η ∂C/∂W, b ← b − η ∂C/∂b",
    "L2": "the L2 term of the cost, R = c ΣW² with ∂R/∂W = 2c W (weights only)",
    "targets": "the targets y (what your implementation takes them to be: the convention's targets=)",
    "declaration": "what your implementation computes: another activation, output activation, loss or L2 term than declared",
}
SLIPS = {
    "summed_cost": "every element N times the oracles' (the cost summed, or the mean's 1/N left out)",
    "one_over_n_twice": "every element 1/N of the oracles' (the 1/N applied twice, or a mean where BP3/BP4 sum)",
    "sign": "the sign flipped (y − a where the derivation has a − y)",
    "transposed": "a gradient transposed",
    "all_zeros": "all zeros (a layer skipped)",
    "literal_sigmoid": "the source text's printed sigmoid 1/(1 + exp(z))",
    "softmax_elementwise": "softmax treated as element-wise in BP1",
    "bp1_without_sigma_prime": "BP1 without σ'(z^L)",
    "sigma_prime_of_a": "σ' taken at a where z belongs",
    "bp2_without_sigma_prime": "BP2 without ⊙σ'(z^l)",
    "literal_recursion": "the source text's literal recursion (δ^{l+1} dropped)",
    "weights_not_transposed": "W^{l+1} where its transpose belongs in BP2",
    "sigma_prime_one_layer_up": "σ'(z^{l+1}) in BP2 where σ'(z^l) belongs",
    "transpose_on_delta": "the transpose on δ in BP2",
    "wrong_loss_gradient": "∇_a C of the loss computed wrongly",
    "wrong_sigma_prime": "σ' of an activation computed wrongly",
    "non_finite": "non-finite values",
    "bias_first_sample": "∂C/∂b^l from the first sample only",
    "bp4_current_activation": "BP4 with a^l where a^{l−1} belongs",
    "kink": "differences only where z is exactly on a kink",
    "accumulates": "gradients accumulating across calls",
    "stops_early": "a loop that stops one layer early",
    "bias_wrong_axis": "∂C/∂b^l summed over the wrong axis",
    "ascent": "gradient ascent in the update",
    "missing_mean": "the mean's 1/N left out of the gradient while the loss is the mean",
    "regularizer": "the L2 term's gradient off (or an L2 term not declared)",
    "targets": "targets taken as class labels or one-hot where probabilities were given",
    "weight_decay": "the update's weight decay off (or not declared)",
    "undeclared": "another activation, output activation, loss or L2 term than the one declared",
    "wrong_layer_weights": "the wrong layer's weights in BP2 (W^l where W^{l+1} belongs)",
    "product_rule_operand": "the product rule with the wrong operand (∂(W a)/∂W taken as W, or ∂/∂a as a)",
    "lost_accumulation": "a gradient overwritten where it must be accumulated (one term of a sum)",
    "sigma_prime_kept": "σ' kept in δ^L where a cross-entropy cancels it",
    "cost_half": "the quadratic cost without its ½",
}
"""Every slip the diagnosis can name, by key: a mutant declares the key it must be
diagnosed as (`crosscheck.mutants.Mutant.slips`), and a test links the two by key."""


@dataclass(frozen=True)
class Slip:
    """A named slip whose signature the departing tensor matches: `key` (in SLIPS) is what
    code reads; `text` is what the report shows."""

    key: str
    text: str

    def __post_init__(self) -> None:
        if self.key not in SLIPS:
            raise ValueError(f"slip key must be one of {sorted(SLIPS)}, got {self.key!r}")


@dataclass(frozen=True)
class Diagnosis:
    """The first departure, walking back from the output, and what it looks like."""

    quantity: str | None
    layer: int | None
    equation: str
    """A key of EQUATIONS, or "" when none can be named (a structural problem)."""
    slips: tuple[Slip, ...] = ()
    """Named slips whose signature the departing tensor matches (hypotheses)."""
    problem: Problem | None = None
    """The structural problem that stopped the comparison, when there is one."""
    no_deltas: bool = False
    """The implementation gives no δ, so BP3/BP4 cannot be told from BP1/BP2."""
    convention: str = ""
    """Set when the difference is a convention, not a slip: every tensor scaled alike, or
    differences only where z sits exactly on a kink."""
    gradients: str = ""
    """The equation your gradients break with the cost left aside (BP1-BP4 or L2; `equation` itself when that is
    a gradient's), "" when they agree: decided once, by `diagnosis.diagnose`, and read by grading's tests."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys of the slips named."""
        return tuple(slip.key for slip in self.slips)

    def text(self, who: str = "your implementation", yours: str = "") -> str:
        """The diagnosis's sentences; `yours` names the departing quantity in your convention ("your weights[0]")."""
        where = ""
        if self.quantity:
            first = symbol(self.quantity, self.layer)
            where = f"{first} is the first quantity, walking back from the output, where {who} departs from the oracles"
        lines = []
        if self.equation and not where:
            lines.append(f"Diagnosis: look at {EQUATIONS[self.equation]}.")
        elif self.equation:
            lines.append(
                f"Diagnosis: {where}: look at {EQUATIONS[self.equation]}"
                + (f" (layer {self.layer}{', ' + yours if yours else ''})" if self.layer else "")
                + "."
            )
        if self.problem is not None:
            lines.append(self.problem.message(who))
        if self.no_deltas and self.equation and not _STUDENT.get():
            name = EQUATIONS[self.equation].split(",")[0]
            lines.append(f"({who[:1].upper()}{who[1:]} gives no δ: return 'deltas' too, to tell {name} from its neighbours.)")
        if self.convention:
            lines.append(f"This is a convention, not a slip: {self.convention}.")
        else:
            for slip in self.slips:
                lines.append(f"It looks like {slip.text}.")
        if self.gradients and self.gradients != self.equation and self.problem is None:
            lines.append(f"With the cost left aside, {who}'s gradients depart too: look at {EQUATIONS[self.gradients]}.")
        return "\n".join(lines)


@dataclass(frozen=True)
class PrecisionNote:
    """Your implementation agrees (judged as any sound formulation of σ and σ' may round), but
    at the reference's own tail-accurate standard one element is off: where, by how much, the
    z it sits behind and the activation's stable form. A note, never a failure."""

    quantity: str
    layer: int | None
    index: tuple[int, ...]
    ratio: float
    """|diff| / the strict tolerance at that element."""
    activation: str
    z_layer: int
    z_range: tuple[float, float]
    stable_form: str
    cases: int = 1
    """How many of the cases judged show it."""
    of: int = 1

    def text(self, who: str = "your implementation") -> str:
        element = f"[{', '.join(map(str, self.index))}]" if self.index else ""
        low, high = self.z_range
        count = f" ({self.cases:,} of {self.of:,} cases)" if self.of > 1 else ""
        form = f"; a form that keeps it: {self.stable_form}" if self.stable_form else ""
        return (
            f"Note: {who} is right, but less precise than the frameworks{count}: at "
            f"{symbol(self.quantity, self.layer)}{element} it is {self.ratio:.3g}× the tolerance the reference "
            f"is held to (σ and σ' accurate relative to their value in the tails), where z^{self.z_layer} lies in "
            f"[{low:.4g}, {high:.4g}]: {self.activation} or its derivative loses relative accuracy there{form}."
        )
