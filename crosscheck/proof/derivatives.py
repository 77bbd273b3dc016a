"""Each catalogue σ' checked exactly against SymPy's derivative of its σ, on the registry's own code.

The registry's functions are NumPy code. They run here unchanged on object arrays of `_Value`s,
a number type that carries a SymPy expression: NumPy's object loops call its arithmetic, its
comparisons and its methods by name (`np.exp(z)` calls `z.exp()`), and a float constant of the
code (1.0, 0.01, √(2/π) as a float) enters as the exact rational it is. The pre-activation z is
one symbol, positive on one branch and negative on the other, so every comparison of the code
(`z > 0`, `np.maximum(z, 0)`) and every |z| is decided; the kink at 0 itself is the Hypothesis
of the ledger, not checked here.

On each branch, σ'(z) as the registry computes it minus d/dz σ(z) (SymPy's `diff` of σ as the
registry computes it) is decided by `identities.decide` after each e^{p(z)} is written as a
product of powers of fresh symbols T_k = e^{z^k/D} (tanh and the sigmoid are rational in
these). That is exact and complete: the exponentials of z, z², … are algebraically independent
over ℚ(z), so the residual, a rational function of z and the T_k, is zero exactly when the
identity holds. Code that needs a float (`math.erfc`), a ufunc with no object loop
(`np.logaddexp`) or an exponential of a non-polynomial is reported as not expressible, with
its reason, never as a verdict.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from crosscheck.proof.identities import decide


class NotExpressible(Exception):
    """The code under test does something SymPy cannot follow exactly (the reason is the message)."""


def _exact(value: Any) -> Any:
    if isinstance(value, _Value):
        return value.e
    if isinstance(value, (bool, np.bool_)):
        return sp.Integer(int(value))
    if isinstance(value, (int, np.integer)):
        return sp.Integer(int(value))
    if isinstance(value, (float, np.floating)):
        return sp.Rational(float(value))  # the float's exact value
    raise NotExpressible(f"the code combines a {type(value).__name__} with a symbol")


class _Value:
    """A number whose value is a SymPy expression; what NumPy's object loops call."""

    __slots__ = ("e",)

    def __init__(self, e: Any) -> None:
        self.e = e

    def _with(self, other: Any, op: Callable[[Any, Any], Any]) -> Any:
        if isinstance(other, np.ndarray):
            return NotImplemented  # the array applies the operation element by element
        return _Value(op(self.e, _exact(other)))

    def __add__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: a + b)

    def __radd__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: b + a)

    def __sub__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: a - b)

    def __rsub__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: b - a)

    def __mul__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: a * b)

    def __rmul__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: b * a)

    def __truediv__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: a / b)

    def __rtruediv__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: b / a)

    def __pow__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: a**b)

    def __rpow__(self, o: Any) -> Any:
        return self._with(o, lambda a, b: b**a)

    def __neg__(self) -> _Value:
        return _Value(-self.e)

    def __pos__(self) -> _Value:
        return self

    def __abs__(self) -> _Value:
        return _Value(sp.Abs(self.e))

    def _decided(self, relation: Any) -> bool:
        if relation is sp.true or relation is True:
            return True
        if relation is sp.false or relation is False:
            return False
        raise NotExpressible(f"the code compares {relation.lhs} with {relation.rhs}, which the branch does not decide")

    def __gt__(self, o: Any) -> bool:
        return self._decided(sp.Gt(self.e, _exact(o)))

    def __ge__(self, o: Any) -> bool:
        return self._decided(sp.Ge(self.e, _exact(o)))

    def __lt__(self, o: Any) -> bool:
        return self._decided(sp.Lt(self.e, _exact(o)))

    def __le__(self, o: Any) -> bool:
        return self._decided(sp.Le(self.e, _exact(o)))

    def __eq__(self, o: object) -> bool:
        return self._decided(sp.Eq(self.e, _exact(o)))

    def __ne__(self, o: object) -> bool:
        return not self.__eq__(o)

    __hash__ = None  # type: ignore[assignment]

    def __float__(self) -> float:
        raise NotExpressible("the code needs a float of z (a math-module function or float())")

    def __bool__(self) -> bool:
        raise NotExpressible("the code takes the truth value of an expression in z")

    def exp(self) -> _Value:
        return _Value(sp.exp(self.e))

    def expm1(self) -> _Value:
        return _Value(sp.exp(self.e) - 1)

    def log(self) -> _Value:
        return _Value(sp.log(self.e))

    def log1p(self) -> _Value:
        return _Value(sp.log(1 + self.e))

    def tanh(self) -> _Value:
        return _Value(sp.tanh(self.e))

    def sqrt(self) -> _Value:
        return _Value(sp.sqrt(self.e))


@dataclass(frozen=True)
class Check:
    """One σ' against SymPy's derivative of σ (or one ∇_a C against C's): "confirmed", "refuted"
    or "not expressible"."""

    name: str
    verdict: str
    branch: str = ""
    """Where it was refuted: "z > 0" or "z < 0"."""
    detail: str = ""
    """The residual σ' − dσ/dz, factored for reading (refuted), or why SymPy cannot express it."""
    identity: str = "σ' = dσ/dz"
    """Which identity: "σ' = dσ/dz" or "∇_a C = ∂C/∂a"."""


BRANCHES = {"z > 0": {"positive": True}, "z < 0": {"negative": True}}


def check(name: str, function: Callable[[Any], Any], derivative: Callable[[Any, Any], Any]) -> Check:
    """σ' (`derivative(z, a)`) against d/dz `function(z)`, on both branches."""
    for branch, assumptions in BRANCHES.items():
        z = sp.Symbol("z", real=True, **assumptions)
        try:
            sigma, prime = _run(function, derivative, z)
            residual = prime - sp.diff(sigma, z)
            decided = decide(_exponentials(residual, z))
        except NotExpressible as why:
            return Check(name, "not expressible", branch, str(why))
        except TypeError as error:  # a ufunc without an object loop (np.logaddexp, ...)
            return Check(name, "not expressible", branch, f"a NumPy function of the code takes no SymPy value here ({error})")
        if decided != 0:
            return Check(name, "refuted", branch, _shown(residual))
    return Check(name, "confirmed")


def _shown(residual: Any) -> str:
    """The residual factored, a rational of a long float (0.99 as 2^-59 ratios) shown to 6 digits."""
    factored = sp.factor(residual)
    long = {r: sp.Float(r, 6) for r in factored.atoms(sp.Rational) if r.q > 10**6}
    return str(factored.xreplace(long))


def _run(function: Callable[[Any], Any], derivative: Callable[[Any, Any], Any], z: Any) -> tuple[Any, Any]:
    """σ(z) and σ'(z) as the code computes them on a 1 × 1 object array holding z."""
    Z = np.array([[_Value(z)]], dtype=object)
    with np.errstate(all="ignore"), _symbolic_constants(function, derivative):
        a = function(Z.copy())
        prime = derivative(Z.copy(), np.array(a, dtype=object, copy=True))
    return _exact(np.asarray(a, dtype=object).flat[0]), _exact(np.asarray(prime, dtype=object).flat[0])


MAX_POWER = 64
"""The largest power of one T_k an exponential may become (beyond it, not expressible)."""


def _exponentials(expr: Any, z: Any) -> Any:
    """`expr` with tanh written through exp, and each e^{c_0 + Σ_k c_k z^k} as e^{c_0} Π_k T_k^{n_k}:
    T_k = e^{b_k z^k / D_k}, with b_k one of the coefficients of z^k met and every c_k = b_k n_k / D_k
    for an integer n_k (for `decide`). NotExpressible where an exponent is not a polynomial in z,
    two coefficients of one power are not rational multiples of each other, or a function other
    than exp is left."""
    expr = expr.rewrite([sp.tanh, sp.sinh, sp.cosh], sp.exp)
    polynomials = {}
    for atom in expr.atoms(sp.exp):
        if atom.args[0].has(z):
            argument = sp.expand(atom.args[0])
            if not argument.is_polynomial(z):
                raise NotExpressible(f"the code takes e^({atom.args[0]}), not a polynomial exponent")
            polynomials[atom] = sp.Poly(argument, z)
    bases: dict[int, Any] = {}
    for polynomial in polynomials.values():
        for (k,), c in polynomial.terms():
            if k:
                bases.setdefault(k, c)
    ratios = {
        atom: {k: sp.nsimplify(c / bases[k]) for (k,), c in polynomial.terms() if k} for atom, polynomial in polynomials.items()
    }
    if any(not r.is_Rational for rs in ratios.values() for r in rs.values()):
        raise NotExpressible("the code's exponentials of one power of z have coefficients that are not rational multiples")
    D = {k: math.lcm(*(rs[k].q for rs in ratios.values() if k in rs)) for k in bases}
    T = {k: sp.Dummy(f"T{k}") for k in bases}
    replaced = {}
    for atom, polynomial in polynomials.items():
        value = sp.exp(polynomial.coeff_monomial(1))
        for k, r in ratios[atom].items():
            n = int(r * D[k])
            if abs(n) > MAX_POWER:
                raise NotExpressible(f"e^({atom.args[0]}) would be a power {n} of e^({bases[k] / D[k]} z^{k})")
            value *= T[k] ** n
        replaced[atom] = value
    return _rational(expr.xreplace(replaced), z)


def _rational(out: Any, z: Any) -> Any:
    """`out` if it is a rational function of z and the T_k (what `decide` decides); else NotExpressible."""
    left = [f for f in out.atoms(sp.Function) if f.has(z)]
    if left:
        raise NotExpressible(f"the code uses {left[0].func.__name__}, which this check does not reduce")
    roots = [p for p in out.atoms(sp.Pow) if not p.exp.is_Integer and p.has(z)]
    if roots:
        raise NotExpressible(f"the code takes {roots[0]}, a power this check does not reduce")
    return out


def _lifted(value: Any) -> Any:
    """An argument of a NumPy function with each plain number in it a `_Value`: a constant of the
    code that met the symbol in `np.minimum(z, 0.0)` is a float, which has no `.expm1()`."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return np.frompyfunc(lambda e: e if isinstance(e, _Value) else _Value(_exact(e)), 1, 1)(value)
    if isinstance(value, (bool, int, float, np.number)):
        return _Value(_exact(value))
    return value


DEFINED = {"logaddexp": lambda x, y: _Value(sp.log(sp.exp(_exact(x)) + sp.exp(_exact(y))))}
"""NumPy functions with no object loop, each as its definition (log(e^x + e^y))."""


class _SymbolicNumPy:
    """NumPy as the code sees it while it runs on symbols: the same module, but a ufunc given
    symbols also takes the plain numbers beside them (`_lifted`), and those of `DEFINED` have an
    object loop. Everything else is NumPy's own."""

    def __getattr__(self, name: str) -> Any:
        found = getattr(np, name)
        if not isinstance(found, np.ufunc):
            return found
        loop = np.frompyfunc(DEFINED[name], found.nin, 1) if name in DEFINED else found

        def ufunc(*args: Any, **kwargs: Any) -> Any:
            if not any(isinstance(a, np.ndarray) and a.dtype == object for a in args):
                return found(*args, **kwargs)
            return loop(*map(_lifted, args), **kwargs)

        return ufunc


@contextlib.contextmanager
def _symbolic_constants(*functions: Callable[..., Any]) -> Iterator[None]:
    """The float constants at module level of the functions' modules (a slope, √(2/π), 0.044715)
    as positive symbols while the code runs: the identity is then proven for any value of them,
    the float's included, and the code's own float products of them (3·0.044715) are not rounded
    apart from SymPy's exact ones. Those modules' `np` is `_SymbolicNumPy` meanwhile."""
    import sys

    saved: list[tuple[Any, str, Any]] = []
    for fn in functions:
        module = sys.modules.get(getattr(fn, "__module__", "") or "")
        for key, value in list(vars(module).items()) if module is not None else []:
            if type(value) is float and not key.startswith("__"):
                saved.append((module, key, value))
                setattr(module, key, _Value(sp.Symbol(key.strip("_") or "c", positive=True)))
            elif value is np:
                saved.append((module, key, value))
                setattr(module, key, _SymbolicNumPy())
    try:
        yield
    finally:
        for module, key, value in reversed(saved):
            setattr(module, key, value)


def catalogue() -> list[Check]:
    """Every element-wise activation of the registry, its σ' against SymPy's derivative of its σ."""
    from reference import ACTIVATIONS

    return [check(name, entry.function, entry.derivative) for name, entry in ACTIVATIONS.items() if entry.elementwise]


TARGETS = np.array([[[1.0, 0.25], [0.0, 0.75]]])
"""y for the loss checks (one case, 2 outputs × 2 samples): exact binary values that reach every
branch of the catalogue's costs (y = 0, 0 < y < 1, y = 1), each column a distribution."""


def check_loss(name: str, cost: Callable[[Any, Any], Any], gradient: Callable[[Any, Any], Any]) -> Check:
    """∇_a C (`gradient(a, y)`) against SymPy's derivative of `cost(a, y)`, both the code's, on one
    case of a stack (so that the cost is an array, not a float) with a_jx = s_jx/(1 + s_jx), s_jx > 0
    (every output in (0, 1), where every catalogue loss is defined) and y = TARGETS: ∂C/∂a_jx is
    ∂C/∂s_jx divided by da_jx/ds_jx."""
    s = np.array([[[sp.Symbol(f"s{j + 1}{x + 1}", positive=True) for x in range(2)] for j in range(2)]], dtype=object)
    a = s / (1 + s)
    A = np.array([[[_Value(v) for v in row] for row in a[0]]], dtype=object)
    try:
        with np.errstate(all="ignore"), _symbolic_constants(cost, gradient):
            C = _exact(np.asarray(cost(A.copy(), TARGETS.copy()), dtype=object).flat[0])
            G = np.asarray(gradient(A.copy(), TARGETS.copy()), dtype=object)
        for index in np.ndindex(s.shape):
            truth = sp.diff(C, s[index]) / sp.diff(a[index], s[index])
            residual = _exact(G[index]) - truth
            if decide(_rational(residual, s[index])) != 0:
                j, x = index[1] + 1, index[2] + 1
                named = sp.Symbol(f"a{j}{x}", positive=True)
                shown = _shown(residual.xreplace({s[index]: named / (1 - named)}))
                return Check(name, "refuted", f"a{j}{x}, y = {TARGETS[index]:g}", shown, GRADIENT)
    except NotExpressible as why:
        return Check(name, "not expressible", "", str(why), GRADIENT)
    except TypeError as error:
        return Check(name, "not expressible", "", f"a NumPy function of the code takes no SymPy value here ({error})", GRADIENT)
    return Check(name, "confirmed", identity=GRADIENT)


GRADIENT = "∇_a C = ∂C/∂a"


def losses() -> list[Check]:
    """Every catalogue loss, its ∇_a C against SymPy's derivative of its C."""
    from reference import LOSSES

    return [check_loss(name, entry.cost, entry.gradient) for name, entry in LOSSES.items()]


def wrong_derivatives() -> list[Check]:
    """Each catalogue wrong-σ' mutant (`crosscheck.mutants.CATALOGUE_SLIPS`) and the printed
    sigmoid (its σ with the standard σ'), checked the same way: each should be refuted."""
    from crosscheck import mutants
    from reference import ACTIVATIONS

    checks = [
        check(f"wrong_{name}_derivative", ACTIVATIONS[name].function, wrong.derivative)
        for name, wrong in mutants.CATALOGUE_SLIPS.items()
        if ACTIVATIONS[name].elementwise
    ]
    printed: Any = getattr(mutants.LiteralSigmoid, "variant")  # noqa: B009 (set by type(), unseen by mypy)
    from reference import LOSSES

    gradients = [
        check_loss(f"wrong_{name}_gradient", LOSSES[name].cost, wrong.gradient) for name, wrong in mutants.LOSS_SLIPS.items()
    ]
    return [*checks, *gradients, check("literal_sigmoid", printed.function, printed.derivative)]
