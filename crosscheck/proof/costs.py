"""Each catalogue loss's C and ∇_a C checked exactly: C against its stated formula, and ∇_a C
against SymPy's derivative of that formula, on the registry's own NumPy code.

The code runs on a stack of one case (so that C is an array, as in the certificate's numeric
stage) of 2 outputs × N samples, N = 1, 2 and 3, on `derivatives.Value`s: each output a_jx and
each target y_jx a symbol of the loss's domain (`DOMAINS`), so that a 1/N, a ½ and a mean over
every element are told apart (at N = 2, 1/N and ½ agree). The truth is `FORMULAS`: each
catalogue cost as the derivation states it, written here in SymPy, never taken from the
registry. A loss added to the registry without a formula here is checked the weaker way only
(∇_a C against its own C's derivative), and says so.

Logarithms are decided exactly: each log is expanded over the irreducible factors of its
argument (every argument is positive on the domain), and the log of each factor is a fresh
symbol (logs of distinct irreducible polynomials are algebraically independent: the ledger
names this, Trusted).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from crosscheck.proof.derivatives import (
    Check,
    NotExpressible,
    Value,
    exact,
    no_object_loop,
    shown,
    symbol_array,
    symbolic_constants,
)
from crosscheck.proof.identities import Values, decide

SAMPLES = (1, 2, 3)
"""N at which each C and ∇_a C is checked."""
OUTPUTS = 2
FORMULA = "C = its stated formula"
GRADIENT = "∇_a C = ∂C/∂a"


def _quadratic(a: Any, y: Any, N: int) -> Any:
    return sum((y[i] - a[i]) ** 2 for i in np.ndindex(a.shape)) / (2 * N)


def _binary_cross_entropy(a: Any, y: Any, N: int) -> Any:
    return -sum(y[i] * sp.log(a[i]) + (1 - y[i]) * sp.log(1 - a[i]) for i in np.ndindex(a.shape)) / N


def _cross_entropy(a: Any, y: Any, N: int) -> Any:
    return -sum(y[i] * sp.log(a[i]) for i in np.ndindex(a.shape)) / N


def _huber(a: Any, y: Any, N: int) -> Any:
    def h(r: Any) -> Any:
        return sp.Piecewise((r**2 / 2, sp.Abs(r) <= 1), (sp.Abs(r) - sp.Rational(1, 2), True))

    return sum(h(a[i] - y[i]) for i in np.ndindex(a.shape)) / N


FORMULAS: dict[str, Callable[[Any, Any, int], Any]] = {
    "quadratic": _quadratic,
    "binary_cross_entropy": _binary_cross_entropy,
    "cross_entropy": _cross_entropy,
    "huber": _huber,
}
"""Each catalogue cost as the derivation states it: C = 1/(2N) Σ ‖y − a‖²; −1/N Σ [y log a + (1 − y)
log(1 − a)]; −1/N Σ_x Σ_j y_j log a_j; 1/N Σ h(a − y), h(r) = r²/2 for |r| ≤ 1, |r| − ½ beyond."""


@dataclass(frozen=True)
class Domain:
    """Where a loss is checked: per branch, each a_jx as a function of a positive symbol t_jx, and
    each y_jx (a symbol or an exact number), for 2 outputs × N samples."""

    branches: Callable[[int], list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]]
    """N ↦ [(branch name, t (2, N) symbols, a (2, N), y (2, N))]."""


def _positive(name: str, N: int) -> np.ndarray:
    return np.array([[sp.Symbol(f"{name}{j + 1}{x + 1}", positive=True) for x in range(N)] for j in range(OUTPUTS)], dtype=object)


def _unit(t: Any) -> Any:
    """A number in (0, 1) as a function of t > 0."""
    return t / (1 + t)


def _open_unit(N: int) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """a in (0, 1); y symbols in (0, 1), and the exact 0 and 1 in the first two samples' rows
    (every branch of a log loss's code: y = 0, 0 < y < 1, y = 1)."""
    t, v = _positive("t", N), _positive("v", N)
    a, y = np.vectorize(_unit, otypes=[object])(t), np.vectorize(_unit, otypes=[object])(v)
    if N > 1:
        y[:, 0] = [sp.Integer(0), sp.Integer(1)]
    return [("a in (0, 1)", t, a, y)]


def _distributions(N: int) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """a in (0, 1); each column of y a distribution (w/(1 + w), 1/(1 + w)), the first one-hot when N > 1."""
    t, w = _positive("t", N), _positive("w", N)
    a = np.vectorize(_unit, otypes=[object])(t)
    y = np.array([[_unit(w[0, x]) for x in range(N)], [1 - _unit(w[0, x]) for x in range(N)]], dtype=object)
    if N > 1:
        y[:, 0] = [sp.Integer(1), sp.Integer(0)]
    return [("a in (0, 1)", t, a, y)]


def _reals(N: int) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    t = np.array([[sp.Symbol(f"t{j + 1}{x + 1}", real=True) for x in range(N)] for j in range(OUTPUTS)], dtype=object)
    y = np.array([[sp.Symbol(f"y{j + 1}{x + 1}", real=True) for x in range(N)] for j in range(OUTPUTS)], dtype=object)
    return [("a, y real", t, t.copy(), y)]


def _residual_branches(N: int) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """a = y + r with r on each side of huber's kinks: (0, 1), (1, ∞), (−1, 0), (−∞, −1)."""
    y = np.array([[sp.Symbol(f"y{j + 1}{x + 1}", real=True) for x in range(N)] for j in range(OUTPUTS)], dtype=object)
    out = []
    for name, r in (
        ("0 < a − y < 1", _unit),
        ("a − y > 1", lambda u: 1 + u),
        ("−1 < a − y < 0", lambda u: -_unit(u)),
        ("a − y < −1", lambda u: -1 - u),
    ):
        u = _positive("u", N)
        out.append((name, u, y + np.vectorize(r, otypes=[object])(u), y))
    return out


DOMAINS: dict[str, Domain] = {
    "quadratic": Domain(_reals),
    "binary_cross_entropy": Domain(_open_unit),
    "cross_entropy": Domain(_distributions),
    "huber": Domain(_residual_branches),
}
"""Each catalogue loss's domain; a loss added without one is checked on a in (0, 1), y in (0, 1)."""


def check_loss(name: str, cost: Callable[[Any, Any], Any], gradient: Callable[[Any, Any], Any]) -> list[Check]:
    """C against its stated formula (when FORMULAS has one) and ∇_a C against ∂(formula)/∂a (or,
    without a formula, against ∂C/∂a of the code's own C), at N = 1, 2, 3, on every branch of the
    loss's domain: a `Check` per identity, refuted at the first (N, branch, element) that fails."""
    formula = FORMULAS.get(name)
    identities = [FORMULA, GRADIENT] if formula is not None else [GRADIENT]
    found = {identity: Check(name, "confirmed", identity=identity) for identity in identities}
    try:
        for N in SAMPLES:
            for branch, t, a, y in DOMAINS.get(name, Domain(_open_unit)).branches(N):
                C, G = _run(cost, gradient, a, y)
                truth = formula(a, y, N) if formula is not None else C
                where = f"N = {N}, {branch}"
                if found[FORMULA if formula is not None else GRADIENT].verdict != "confirmed":
                    continue
                if formula is not None:
                    residual = C - _on_branch(truth, t)
                    if _decided(residual, t) != 0:
                        found[FORMULA] = Check(name, "refuted", where, shown(_named(residual, t, a)), FORMULA)
                refuted = _gradient(name, G, truth, t, a, where)
                if refuted is not None and found[GRADIENT].verdict == "confirmed":
                    found[GRADIENT] = refuted
    except NotExpressible as why:
        return [Check(name, "not expressible", "", str(why), identity) for identity in identities]
    except Exception as error:
        if not no_object_loop(error):
            return [
                Check(name, "refuted", "", f"the code raised {type(error).__name__} on symbols: {error}", i) for i in identities
            ]
        return [
            Check(name, "not expressible", "", f"a NumPy function of the code has no loop for symbols ({error})", i)
            for i in identities
        ]
    return [found[identity] for identity in identities]


def _gradient(name: str, G: np.ndarray, truth: Any, t: np.ndarray, a: np.ndarray, where: str) -> Check | None:
    """∇_a C of the code against ∂(truth)/∂a_jx = ∂(truth)/∂t_jx / (da_jx/dt_jx), element by element."""
    for index in np.ndindex(t.shape):
        want = sp.diff(_on_branch(truth, t), t[index]) / sp.diff(a[index], t[index])
        residual = G[index] - want
        if _decided(residual, t) != 0:
            j, x = index[0] + 1, index[1] + 1
            return Check(name, "refuted", f"{where}, ∂C/∂a{j}{x}", shown(_named(residual, t, a)), GRADIENT)
    return None


def _run(
    cost: Callable[[Any, Any], Any], gradient: Callable[[Any, Any], Any], a: np.ndarray, y: np.ndarray
) -> tuple[Any, np.ndarray]:
    """C and ∇_a C as the code computes them on one case of a stack (1, 2, N)."""
    A = symbol_array([[[Value(v) for v in row] for row in a]])
    Y = symbol_array([[[Value(sp.sympify(v)) for v in row] for row in y]])
    with np.errstate(all="ignore"), symbolic_constants(cost, gradient):
        C = exact(np.asarray(cost(A, Y), dtype=object).flat[0])
        G = np.vectorize(exact, otypes=[object])(np.asarray(gradient(A, Y), dtype=object)[0])
    return C, G


def _on_branch(expr: Any, t: np.ndarray) -> Any:
    """`expr` with every Abs and Piecewise settled by the branch's assumptions (they are, on these domains)."""
    return sp.piecewise_fold(expr).simplify() if expr.has(sp.Piecewise) else expr


def _decided(residual: Any, t: np.ndarray) -> Any:
    """0 when the residual (a rational function of the symbols and of logs) is identically zero."""
    residual = sp.sympify(residual)
    if residual.has(sp.Piecewise) or residual.has(sp.Abs):
        residual = sp.simplify(residual)
    logs = {}
    for log in residual.atoms(sp.log):
        expanded = sp.expand_log(sp.log(sp.factor(log.args[0])), force=True)  # positive on the domain
        logs[log] = expanded
    residual = residual.xreplace(logs)
    named = {log: sp.Dummy("log") for log in residual.atoms(sp.log)}
    residual = residual.xreplace(named).rewrite([sp.tanh, sp.sinh, sp.cosh], sp.exp)
    # Each exponential (e^{a − y} of a log-cosh, say) a symbol, split over its argument's terms (e^{−r} = 1/e^{r}).
    residual = Values().of(residual)
    if residual.atoms(sp.Function):
        raise NotExpressible(
            f"the code uses {next(iter(residual.atoms(sp.Function))).func.__name__}, which this check does not reduce"
        )
    return decide(residual)


def _named(residual: Any, t: np.ndarray, a: np.ndarray) -> Any:
    """The residual in the outputs a_jx (each t_jx written back through a_jx), for reading."""
    names = {}
    for index in np.ndindex(t.shape):
        symbol = sp.Symbol(f"a{index[0] + 1}{index[1] + 1}")
        with contextlib.suppress(Exception):
            solved = sp.solve(sp.Eq(a[index], symbol), t[index])
            if len(solved) == 1:
                names[t[index]] = solved[0]
    return sp.simplify(sp.sympify(residual).xreplace(names)) if names else residual


def losses() -> list[Check]:
    """Every catalogue loss: C against its formula, ∇_a C against the formula's derivative."""
    from reference import LOSSES

    return [c for name, entry in LOSSES.items() for c in check_loss(name, entry.cost, entry.gradient)]


def wrong_gradients() -> list[Check]:
    """Each catalogue wrong-∇_a C mutant (`crosscheck.mutants.LOSS_SLIPS`), its gradient checked the
    same way (its cost is the registry's): each should be refuted."""
    from crosscheck import mutants
    from reference import LOSSES

    checks = []
    for name, wrong in mutants.LOSS_SLIPS.items():
        found = check_loss(name, LOSSES[name].cost, wrong.gradient)
        checks += [dataclass_replace(c, name=f"wrong_{name}_gradient") for c in found if c.identity == GRADIENT]
    return checks


def dataclass_replace(check: Check, **changes: Any) -> Check:
    import dataclasses

    return dataclasses.replace(check, **changes)
