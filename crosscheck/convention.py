"""Your convention: how your backprop lays out its arrays, its targets and its cost, declared as data.

`Convention` is what your code does (each field is also an option of `python -m crosscheck
verify`); `CONVENTIONS` names the common ones. `crosscheck.edge` converts between your layout
and the derivation's with it, once, at the edge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

SAMPLES = ("columns", "rows")
WEIGHTS = ("out_in", "in_out")
BIASES = ("column", "flat", "row")
COSTS = ("mean", "sum", "elements")
KINKS = ("left", "right", "either")
TARGETS = ("probabilities", "one_hot", "labels", "labels_row", "binary")
ORDERS = ("weights_first", "biases_first")
L2_FORMS = ("lambda/2n", "lambda/2", "reg")
L2_FORMULAS = {"lambda/2n": "+ λ/(2N)·ΣW², N the batch (Nielsen's)", "lambda/2": "+ λ/2·ΣW²", "reg": "+ reg·ΣW² (c·ΣW²)"}
"""What each L2 form adds to the cost, over every weight matrix W^l (never the biases)."""


@dataclass(frozen=True)
class Convention:
    """How an implementation lays out its arrays, its targets and its cost: what your code
    does, declared as data (each field is also an option of `python -m crosscheck verify`).

    Layout:

    * samples: "columns" (x is (n_1, N), the derivation's) or "rows" (x is (N, n_1));
    * weights: "out_in" (W^l is (n_l, n_{l-1}), the derivation's) or "in_out" (x @ W);
    * biases: "column" (b^l is (n_l, 1)), "flat" (n_l,) or "row" (1, n_l);
    * per_sample: one sample per call (the batch's gradient is the mean of the calls');
    * targets: "probabilities" (y as the loss takes it, the default), "one_hot" (drawn
      one-hot), "labels" (integer class labels of shape (N,)), "labels_row" ((1, N)), or
      "binary" (0/1 targets, for a sigmoid output);
    * order: what a pair you return holds first, "weights_first" ((∂C/∂W, ∂C/∂b)) or
      "biases_first" ((∂C/∂b, ∂C/∂W), the chapter's `(nabla_b, nabla_w)`).

    Cost (your C; the oracles' is converted to it):

    * cost: "mean" (over the batch, the derivation's), "sum" (Σ_x C_x) or "elements" (the
      mean over every output element, as the frameworks' MSE);
    * half: the quadratic cost's ½ (False: C = mean (a − y)², no ½);
    * clip: the loss's argument clipped to [clip, 1 − clip] (a log loss); every oracle clips it too,
      in its own framework, and only a case with an output within rounding of a bound is not judged;
    * l2, l2_form: L2 in the cost, "lambda/2n" (+ λ/(2N) ΣW², N the batch; Nielsen's), "lambda/2"
      (+ λ/2 ΣW²) or
      "reg" (+ reg · ΣW², a course assignment's), weights only; the oracles add the same term;
    * weight_decay: your update's own decay, torch.optim.SGD's: W ← W − η(∂C/∂W + wd·W).

    Other:

    * kink: σ' at a kink (relu at 0): "left" (the reference's and PyTorch's slope),
      "right", or "either". With another value than "left", a case where some z sits
      exactly on a kink is not judged (the frameworks take the left slope there).
    """

    name: str
    samples: str = "columns"
    weights: str = "out_in"
    biases: str = "column"
    cost: str = "mean"
    per_sample: bool = False
    kink: str = "left"
    targets: str = "probabilities"
    half: bool = True
    clip: float = 0.0
    l2: float = 0.0
    l2_form: str = "lambda/2n"
    weight_decay: float = 0.0
    order: str = "weights_first"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"convention name must be a non-empty str, got {self.name!r}")
        for field, value, allowed in (
            ("samples", self.samples, SAMPLES),
            ("weights", self.weights, WEIGHTS),
            ("biases", self.biases, BIASES),
            ("cost", self.cost, COSTS),
            ("kink", self.kink, KINKS),
            ("targets", self.targets, TARGETS),
            ("l2_form", self.l2_form, L2_FORMS),
            ("order", self.order, ORDERS),
        ):
            if value not in allowed:
                raise ValueError(f"convention {field} must be one of {list(allowed)}, got {value!r}")
        for field in ("per_sample", "half"):
            if not isinstance(getattr(self, field), bool):
                raise TypeError(f"convention {field} must be True or False, got {getattr(self, field)!r}")
        for field, high in (("clip", 0.5), ("l2", None), ("weight_decay", None)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"convention {field} must be a number, got {type(value).__name__} {value!r}")
            if not (np.isfinite(value) and value >= 0 and (high is None or value < high)):
                bound = f"in [0, {high})" if high is not None else ">= 0"
                raise ValueError(f"convention {field} must be a finite number {bound}, got {value!r}")
        if self.per_sample and self.l2:
            raise ValueError(
                "convention l2 with per_sample: one sample's call has no batch to scale λ/2n by; "
                "declare the update's weight_decay instead (λ/n, as the chapter's update applies it)"
            )

    def describe(self) -> str:
        layout = ("x as (n, 1)" if self.samples == "columns" else "x as (1, n)") if self.per_sample else None
        parts = [
            layout or ("x as (n, N) columns" if self.samples == "columns" else "x as (N, n) rows"),
            "W as (n_out, n_in)" if self.weights == "out_in" else "W as (n_in, n_out)",
            {"column": "b as (n, 1)", "flat": "b as (n,)", "row": "b as (1, n)"}[self.biases],
            "one sample per call" if self.per_sample else "a batch per call",
            {"mean": "the mean cost", "sum": "the summed cost", "elements": "the cost's mean over every output element"}[
                self.cost
            ],
        ]
        if self.order == "biases_first":
            parts.append("a pair returned as (∂C/∂b, ∂C/∂W)")
        if not self.half:
            parts.append("no ½ in the quadratic cost")
        if self.targets != "probabilities":
            parts.append(
                {
                    "one_hot": "one-hot targets",
                    "labels": "integer labels y of shape (N,)",
                    "labels_row": "integer labels y of shape (1, N)",
                    "binary": "0/1 targets",
                }[self.targets]
            )
        if self.clip:
            parts.append(f"the loss's argument clipped at {self.clip:g}")
        if self.l2:
            name = {"lambda/2n": "λ/2n", "lambda/2": "λ/2", "reg": "reg"}[self.l2_form]
            parts.append(f"L2 {name} = {self.l2:g} in the cost ({L2_FORMULAS[self.l2_form]})")
        if self.weight_decay:
            parts.append(f"weight decay {self.weight_decay:g} in the update")
        return f"{self.name}: " + ", ".join(parts)

    def factor(self, N: int, outputs: int) -> float:
        """Your data cost over the derivation's C (the mean over the batch, with the ½ of the
        quadratic): N for "sum", 1/n_L for "elements", times 2 without the ½."""
        scale = {"mean": 1.0, "sum": float(N), "elements": 1.0 / outputs}[self.cost]
        return scale * (1.0 if self.half else 2.0)

    def l2_coefficient(self, N: int, outputs: int) -> float:
        """c of the c·ΣW² your cost adds, in the derivation's scaling (your coefficient over `factor`)."""
        yours = {"lambda/2n": self.l2 / (2 * N), "lambda/2": self.l2 / 2, "reg": self.l2}[self.l2_form]
        return yours / self.factor(N, outputs)

    def update_scale(self) -> Callable[[int, int], float] | None:
        """The cost your update steps on, over the mean cost (None: the mean cost): `factor` for a batch per call;
        for one sample per call, the mean over the mini-batch of the per-sample cost."""
        if self.per_sample:  # one sample's sum is its mean; "elements" depends on the output width (with or without ½)
            return None if self.cost in ("mean", "sum") and self.half else (lambda N, outputs: self.factor(1, outputs))
        return None if self.cost == "mean" and self.half else self.factor


DECLARED = tuple(f.name for f in fields(Convention) if f.name != "name")
"""The fields a user declares: each is an option of `verify` (`--l2-form` for l2_form) and a key of
assignment.toml, derived from the dataclass here and nowhere else."""
CHOICES = {"samples": SAMPLES, "weights": WEIGHTS, "biases": BIASES, "cost": COSTS, "kink": KINKS, "targets": TARGETS}
CHOICES |= {"l2_form": L2_FORMS, "order": ORDERS}
"""The fields that take one of a few words, and those words."""


def flags(c: Convention) -> list[str]:
    """The `verify` options that declare `c` (its fields that differ from the defaults)."""
    default = Convention("default")
    out = []
    for name in DECLARED:
        value = getattr(c, name)
        if value == getattr(default, name):
            continue
        option = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            out.append(option if value else "--no-" + name.replace("_", "-"))
        else:
            out.append(f"{option} {value:g}" if isinstance(value, float) else f"{option} {value}")
    return out


def written(c: Convention) -> str:
    """`c` as the Python that makes it: its fields that differ from the defaults."""
    default = Convention("default")
    given = [f"{n}={getattr(c, n)!r}" for n in DECLARED if getattr(c, n) != getattr(default, n)]
    return f"crosscheck.Convention({', '.join([repr(c.name), *given])})"


CONVENTIONS: dict[str, Convention] = {
    convention.name: convention
    for convention in (
        Convention("columns"),
        Convention("rows", samples="rows", weights="in_out", biases="flat"),
        Convention("per-sample", per_sample=True, cost="sum"),
    )
}
"""The named conventions: the derivation's layout; the row-major `x @ W + b` of course
assignments; one column-vector sample per call with C = ½‖a − y‖², as the chapter's
companion code."""


def convention_named(value: str | Convention) -> Convention:
    """A convention by name, or one described by the user."""
    if isinstance(value, Convention):
        return value
    if value not in CONVENTIONS:
        raise ValueError(f"convention must be one of {list(CONVENTIONS)} or a Convention, got {value!r}")
    return CONVENTIONS[value]
