"""Why an answer could not be judged element by element: a kind and its data, never a sentence.

A `Problem` is what the checks hand on: the implementation's answer had the wrong shape,
dtype or number of layers, it raised, it returned the wrong kind of object, it changed
its inputs, or two calls on the same inputs disagreed. The diagnosis reads `kind` and the
data (`quantity`, `layer`, `got`, `want`); `message(who)` builds the sentence, once, where
a report shows it. Rewording a message cannot change a diagnosis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = {
    "shape": "a tensor of the wrong shape",
    "dtype": "a tensor of the wrong dtype",
    "layers": "the wrong number of layers",
    "raised": "an exception from the implementation",
    "returned": "an answer of the wrong kind (not gradients)",
    "keys": "a dict without 'weights' and 'biases', or with unknown keys",
    "not_layers": "a quantity that is not a list of arrays, one per layer",
    "not_a_number": "a loss that is not a number",
    "changed_input": "an input array changed by the implementation",
    "differs": "a second call on the same inputs that answers differently",
    "accumulates": "gradients that grow by the same increment at every call",
    "update_raised": "an exception from the update",
    "update_returned": "an update that returned something other than (new_weights, new_biases)",
    "timed_out": "a call of your code that ran past its time limit",
    "died": "the process your code ran in ended during the call (a signal, os._exit, a crash, memory)",
    "garbled": "the process your code ran in sent something other than its answer",
    "unreadable": "an answer whose own methods raised while it was being read",
    "too_large": "an answer larger than one answer may be (its arrays' bytes)",
    "not_run": "a call not made, because the calls before it did not finish",
    "not_array": "a value that is not convertible to a NumPy array",
}
"""Every kind of problem, and what it means."""

_SYMBOLS = {
    "loss": "C",
    "deltas": "δ^{l}",
    "weights": "∂C/∂W^{l}",
    "biases": "∂C/∂b^{l}",
    "W": "W^{l}",
    "b": "b^{l}",
}


def symbol(quantity: str, layer: int | None) -> str:
    """The derivation's name of a quantity: C, δ^3, ∂C/∂W^2, ∂C/∂b^4 (δ, ∂C/∂W, ∂C/∂b when no
    one layer is meant, as for a count of layers)."""
    if layer is None:
        return _SYMBOLS[quantity].replace("^{l}", "")
    return _SYMBOLS[quantity].format(l=layer)


_QUANTITY_WORDS = {"weights": "weight gradients", "biases": "bias gradients", "deltas": "deltas"}


@dataclass(frozen=True)
class Problem:
    """One problem that stops the element-wise comparison.

    `quantity` and `layer` (the derivation's numbering) say where, when one tensor is
    meant; `got` and `want` are the data (shapes as tuples, dtypes as strings, counts as
    ints, key lists); `detail` is text that comes from outside (an exception's own
    message, a type's name), carried as it came and shown, never read. For a call of
    your code: where it raised (`at`, file:line), how many `seconds` it ran, and what it
    printed (`output`, the end of it).
    """

    kind: str
    quantity: str | None = None
    layer: int | None = None
    got: Any = None
    want: Any = None
    detail: str = ""
    at: str = ""
    seconds: float | None = None
    output: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {self.kind!r}")

    @property
    def quantity_words(self) -> str:
        """The quantity as a list of arrays is named: "weight gradients", "bias gradients", "deltas"
        (an update's: "updated weights", "updated biases")."""
        if self.detail == "update":
            return f"updated {self.quantity}"
        return _QUANTITY_WORDS.get(self.quantity or "", self.quantity or "")

    @property
    def where(self) -> str:
        """δ^3, ∂C/∂W^2, C, or the quantity's name without a layer."""
        if self.quantity is None:
            return ""
        return symbol(self.quantity, None if self.quantity == "loss" else self.layer)

    def message(self, who: str = "your implementation") -> str:
        """The sentence a report shows (built here, never parsed)."""
        return _MESSAGES[self.kind](self, who)


def _shape(p: Problem, who: str) -> str:
    if p.detail == "update":
        return f"{who}'s update returned {symbol('W', p.layer)} of shape {p.got}, but it is {p.want} in your layout"
    return f"shape {p.got} ({who}) but {p.want} (oracle)"


def _dtype(p: Problem, who: str) -> str:
    if p.quantity is not None and p.layer is not None and p.detail == "returned":
        return (
            f"{who} returned {p.where} as {p.got} for a {p.want} case: keep the case's dtype "
            "(a float64 case must not come back as float32 or float16, nor an array of objects)"
        )
    return f"dtype {p.got} ({who}) but {p.want} (oracle)"


def _layers(p: Problem, who: str) -> str:
    if p.detail == "oracle":
        return f"{who} has {p.got} layers, the oracle {p.want}"
    early = "a loop that stops one layer early?" if p.got == p.want - 1 else "one per layer l = 2..L is expected"
    return f"{who} returned {p.got} {p.quantity_words} for a network of {p.want} weight layers (l = 2..{p.want + 1}): {early}"


def _raised(p: Problem, who: str) -> str:
    said = f": {p.detail}" if p.detail else " (with no message)"
    at = f" (at {p.at})" if p.at else ""
    # No advice to narrow the cases drawn: the depths your code does not take at all are found before the sweep
    # (crosscheck.probe), and a raise where it takes the structure is what a slip of shape looks like.
    return f"{who} raised {p.got}{said}{at}"


def _differs(p: Problem, who: str) -> str:
    return (
        f"{p.where} of the second call differs from the first's on the same inputs beyond rounding: {who} keeps "
        "state between calls or is not deterministic"
    )


def _accumulates(p: Problem, who: str) -> str:
    if p.detail == "twice":
        return (
            f"{p.where} of the second call is twice the first's: gradients accumulate across calls "
            "(zero them before each backward pass)"
        )
    return (
        f"{p.where} of the second call differs from the first's: gradients accumulate across calls "
        "(each call adds the same increment: zero them before each backward pass)"
    )


_TEMPLATES = {
    "returned": (
        "{who} returned {got}; expected (weight_gradients, bias_gradients) or a dict "
        "with 'weights', 'biases' and optionally 'loss' and 'deltas'"
    ),
    "keys": "{who} returned a dict with keys {got}; expected 'weights' and 'biases', and optionally 'loss' and 'deltas'",
    "not_layers": "{who}'s {words} must be a list of arrays, one per layer 2..L, got {got}",
    "not_a_number": "{who}'s loss must be a number, got {got}",
    "changed_input": "{who} changed the {got} it was given (a backward pass must leave its inputs as they were)",
    "update_raised": "{who}'s update raised {got}: {detail}",
    "unreadable": "what {who} returned raised {got} while it was being read ({detail}): return NumPy arrays",
    "update_returned": "{who}'s update returned {got}; expected (new_weights, new_biases)",
    "too_large": (
        "{who} returned an answer of {got:,} bytes, more than the {want:,} one answer may take: it was not read "
        "(return only the gradients, one array per layer, in the shapes of the case)"
    ),
    "not_array": "{who}'s {words} hold a value NumPy cannot make an array of ({got}: {detail})",
}
"""The messages that are one sentence with the problem's data put in."""


def _template(kind: str) -> Callable[[Problem, str], str]:
    def message(p: Problem, who: str) -> str:
        return _TEMPLATES[kind].format(who=who, got=p.got, want=p.want, detail=p.detail, words=p.quantity_words)

    return message


def _whose(p: Problem, who: str) -> str:
    return f"{who}'s update" if p.detail == "update_raised" else who


def _timed_out(p: Problem, who: str) -> str:
    return (
        f"{_whose(p, who)} did not return within its time limit of {p.got:g} s on this case (it may hang, or be very slow); "
        "it was stopped and a fresh process took the next case: raise the limit with time_limit= (verify --time-limit) "
        "if it is only slow"
    )


def _died(p: Problem, who: str) -> str:
    return (
        f"the process {_whose(p, who)} ran in {p.got} during this case, after {p.seconds or 0:.2g} s (os._exit, a crash, "
        "a signal, or memory: the limit is memory_limit= / verify --memory-limit); a fresh process took the next case"
    )


def _garbled(p: Problem, who: str) -> str:
    return f"the process {_whose(p, who)} ran in sent something other than its answer ({p.got}): it was stopped"


def _not_run(p: Problem, who: str) -> str:
    return f"{p.got or 'not run'}: {who} was not called on this case"


_MESSAGES: dict[str, Callable[[Problem, str], str]] = {
    "raised": _raised,
    "timed_out": _timed_out,
    "died": _died,
    "garbled": _garbled,
    "not_run": _not_run,
    "shape": _shape,
    "dtype": _dtype,
    "layers": _layers,
    "differs": _differs,
    "accumulates": _accumulates,
    **{kind: _template(kind) for kind in _TEMPLATES},
}


class ImplementationProblem(Exception):
    """The implementation under test could not be judged element by element; `problem` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message())
        self.problem = problem
