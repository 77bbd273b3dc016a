"""Each catalogue σ' checked exactly against SymPy's derivative of its σ, on the registry's own code.

The registry's functions are NumPy code. They run here unchanged on object arrays of `Value`s,
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

from crosscheck.proof.identities import decide, readable


class NotExpressible(Exception):
    """The code under test does something SymPy cannot follow exactly (the reason is the message)."""


class Undecided(NotExpressible):
    """A comparison of the code that the branch does not decide: `bound`, the number it compares with."""

    def __init__(self, message: str, bound: Any) -> None:
        super().__init__(message)
        self.bound = bound


def exact(value: Any) -> Any:
    if isinstance(value, Value):
        return value.e
    if isinstance(value, (bool, np.bool_)):
        return sp.Integer(int(value))
    if isinstance(value, (int, np.integer)):
        return sp.Integer(int(value))
    if isinstance(value, (float, np.floating)):
        return constant(float(value))
    raise NotExpressible(f"the code combines a {type(value).__name__} with a symbol")


def constant(value: float) -> Any:
    """A float constant of the code as the exact number it stands for: the float's own value when
    it is a short binary fraction (1.0, 0.5, 0.25) or nothing simple rounds to it; else the
    fraction of denominator ≤ 10⁶ (1.0/3), or the closed form of π and radicals (math.sqrt(2.0) is
    √2, math.sqrt(2π) is √(2π)), that rounds to it within 4 ulps (`sympy.nsimplify`). The code's own
    float arithmetic on constants is so read as the real arithmetic it rounds; the ledger names
    this reading (Trusted)."""
    exact_value = sp.Rational(value)
    if exact_value.q <= 2**20 or not math.isfinite(value):
        return exact_value
    near = 4 * math.ulp(value)
    fraction = sp.Rational(value).limit_denominator(10**6)
    if abs(float(fraction) - value) <= near:
        return fraction
    form = sp.nsimplify(value, [sp.pi], tolerance=near, rational=False)
    if form.is_Rational or abs(float(form) - value) > near:
        return exact_value
    return form


class Value:
    """A number whose value is a SymPy expression; what NumPy's object loops call."""

    __slots__ = ("e",)

    def __init__(self, e: Any) -> None:
        self.e = e

    def _with(self, other: Any, op: Callable[[Any, Any], Any]) -> Any:
        if isinstance(other, np.ndarray):
            return NotImplemented  # the array applies the operation element by element
        return Value(op(self.e, exact(other)))

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

    def __neg__(self) -> Value:
        return Value(-self.e)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return Value(sp.Abs(self.e))

    def _decided(self, relation: Any) -> bool:
        if relation is sp.true or relation is True:
            return True
        if relation is sp.false or relation is False:
            return False
        # The difference, simplified, often has a sign the domain's assumptions decide (t/(1 + t) − 1 < 0).
        settled = relation.func(sp.simplify(relation.lhs - relation.rhs), 0)
        if settled in (sp.true, sp.false):
            return bool(settled)
        raise Undecided(f"the code compares {relation.lhs} with {relation.rhs}, which the branch does not decide", relation.rhs)

    def __gt__(self, o: Any) -> bool:
        return self._decided(sp.Gt(self.e, exact(o)))

    def __ge__(self, o: Any) -> bool:
        return self._decided(sp.Ge(self.e, exact(o)))

    def __lt__(self, o: Any) -> bool:
        return self._decided(sp.Lt(self.e, exact(o)))

    def __le__(self, o: Any) -> bool:
        return self._decided(sp.Le(self.e, exact(o)))

    def __eq__(self, o: object) -> bool:
        return self._decided(sp.Eq(self.e, exact(o)))

    def __ne__(self, o: object) -> bool:
        return not self.__eq__(o)

    __hash__ = None  # type: ignore[assignment]

    def __float__(self) -> float:
        raise NotExpressible("the code needs a float of z (a math-module function or float())")

    def __bool__(self) -> bool:
        raise NotExpressible("the code takes the truth value of an expression in z")

    def exp(self) -> Value:
        return Value(sp.exp(self.e))

    def expm1(self) -> Value:
        return Value(sp.exp(self.e) - 1)

    def log(self) -> Value:
        return Value(sp.log(self.e))

    def log1p(self) -> Value:
        return Value(sp.log(1 + self.e))

    def tanh(self) -> Value:
        return Value(sp.tanh(self.e))

    def sqrt(self) -> Value:
        return Value(sp.sqrt(self.e))


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
            try:
                sigma, prime = _run(function, derivative, z)
            except Undecided as undecided:
                # A comparison with a constant c on the branch's side of 0 (np.minimum(z, 700)): beyond
                # c the branch decides it; z = c ± t, t > 0, there.
                z, branch = _beyond(undecided.bound, branch)
                sigma, prime = _run(function, derivative, z)
            t = next(iter(sp.sympify(z).free_symbols))
            residual = prime - sp.diff(sigma, t)
            decided = decide(_exponentials(residual, t))
        except NotExpressible as why:
            return Check(name, "not expressible", branch, str(why))
        except Exception as error:
            if no_object_loop(error):
                return Check(name, "not expressible", branch, f"a NumPy function of the code has no loop for symbols ({error})")
            return Check(name, "refuted", branch, f"the code raised {type(error).__name__} on a symbol: {error}")
        if decided != 0:
            return Check(name, "refuted", branch, shown(residual))
    return Check(name, "confirmed")


def _beyond(bound: Any, branch: str) -> tuple[Any, str]:
    """z past the constant `bound` on `branch`'s side of 0, as c + t (or c − t), t > 0; NotExpressible
    when the bound is not a number on that side."""
    c = sp.sympify(bound)
    positive = branch == "z > 0"
    if not c.is_number or not ((c > 0) if positive else (c < 0)):
        raise NotExpressible(f"the code compares z with {bound}, which the branch does not decide")
    t = sp.Symbol("t", positive=True)
    return (c + t if positive else c - t), f"z {'>' if positive else '<'} {c}"


def no_object_loop(error: BaseException) -> bool:
    """Whether `error` is a NumPy ufunc that has no loop for objects (the one TypeError that means
    "SymPy cannot follow this code", not "this code is wrong")."""
    return isinstance(error, TypeError) and "ufunc" in str(error) and ("loop" in str(error) or "not supported" in str(error))


def shown(residual: Any) -> str:
    """The residual for reading (`identities.readable`: factored when small), a rational of a long
    float (0.99 as 2^-59 ratios) shown to 6 digits."""
    residual = sp.sympify(residual)
    long = {r: sp.Float(r, 6) for r in residual.atoms(sp.Rational) if r.q > 10**6}
    return readable(residual.xreplace(long))


def _run(function: Callable[[Any], Any], derivative: Callable[[Any, Any], Any], z: Any) -> tuple[Any, Any]:
    """σ(z) and σ'(z) as the code computes them on a 1 × 1 array holding z, handed over as
    `Network.backward` hands them: σ' gets the very array σ was given and the a it returned, so
    that σ writing into its input (in place) is seen by σ' as it would be in the network."""
    Z = symbol_array([[Value(z)]])
    with np.errstate(all="ignore"), symbolic_constants(function, derivative):
        a = function(Z)
        prime = derivative(Z, a)
    return exact(np.asarray(a, dtype=object).flat[0]), exact(np.asarray(prime, dtype=object).flat[0])


class SymbolArray(np.ndarray):
    """An object array of `Value`s whose `astype` keeps them (the code's `.astype(np.float64)` or
    `.astype(z.dtype)` would call float() on a symbol; the values are exact either way)."""

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:
        return self


def symbol_array(values: Any) -> np.ndarray:
    return np.array(values, dtype=object).view(SymbolArray)


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
    return rational(expr.xreplace(replaced), z)


def rational(out: Any, z: Any) -> Any:
    """`out` if it is a rational function of z and the T_k (what `decide` decides), each application
    of erfc (or erf) written as a fresh symbol (they are algebraically independent of z and the
    exponentials of z's powers: the ledger names this, Trusted); else NotExpressible."""
    out = out.rewrite(sp.erf, sp.erfc)
    out = out.xreplace({f: sp.Dummy("Erfc") for f in out.atoms(sp.erfc) if f.has(z)})
    left = [f for f in out.atoms(sp.Function) if f.has(z)]
    if left:
        raise NotExpressible(f"the code uses {left[0].func.__name__}, which this check does not reduce")
    roots = [p for p in out.atoms(sp.Pow) if not p.exp.is_Integer and p.has(z)]
    if roots:
        raise NotExpressible(f"the code takes {roots[0]}, a power this check does not reduce")
    return out


def _lifted(value: Any) -> Any:
    """An argument of a NumPy function with each plain number in it a `Value`: a constant of the
    code that met the symbol in `np.minimum(z, 0.0)` is a float, which has no `.expm1()`."""
    if isinstance(value, np.ndarray) and value.dtype == object:
        return np.frompyfunc(lambda e: e if isinstance(e, Value) else Value(exact(e)), 1, 1)(value)
    if isinstance(value, (bool, int, float, np.number)):
        return Value(exact(value))
    return value


DEFINED = {"logaddexp": lambda x, y: Value(sp.log(sp.exp(exact(x)) + sp.exp(exact(y))))}
"""NumPy functions with no object loop, each as its definition (log(e^x + e^y))."""
MATH = {"erfc": sp.erfc, "erf": sp.erf, "exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sqrt": sp.sqrt}
"""The math-module functions a registry module may wrap with np.frompyfunc (gelu's erfc), each as SymPy's."""


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
def symbolic_constants(*functions: Callable[..., Any]) -> Iterator[None]:
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
                setattr(module, key, Value(sp.Symbol(key.strip("_") or "c", positive=True)))
            elif isinstance(value, np.ufunc) and value.__name__.split(" ")[0] in MATH and "vectorized" in value.__name__:
                saved.append((module, key, value))  # np.frompyfunc(math.erfc): SymPy's erfc on a symbol
                wrapped = MATH[value.__name__.split(" ")[0]]
                setattr(module, key, np.frompyfunc(lambda v, f=wrapped: Value(f(exact(v))), 1, 1))
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
    from crosscheck.proof import costs

    return [*checks, *costs.wrong_gradients(), check("literal_sigmoid", printed.function, printed.derivative)]
