"""BP1-BP4 as identities, decided on the reference's own code (see `crosscheck.proof`).

`run(cls, sizes, N, output)` builds a network of class `cls` (the reference's `Network`, or a
mutant) whose parameters and input are SymPy symbols, whose hidden σ and output τ are
undefined functions (or softmax, with the reference's own Jacobian code), and whose cost C is
an undefined function of the outputs; it runs the class's own `backward` on it, and compares
each quantity with SymPy's derivative of C through a forward pass written here (`_Truth`):

    forward  C                       BP1  δ^L = ∂C/∂z^L
    BP2      δ^l = ∂C/∂z^l, l < L    BP3  ∂C/∂b^l        BP4  ∂C/∂W^l

The answer is an `Outcome`: every quantity proven, or the first one that is not (walking
back from the output, as the derivation does), with its non-zero residual.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import sympy as sp

from reference import Activation, Network

EQUATIONS = {"forward": "the forward pass z^l = W^l a^{l-1} + b^l, a^l = σ(z^l), and C"} | {
    "BP1": "δ^L = ∇_a C ⊙ σ'(z^L) (softmax: J(z^L)ᵀ ∇_a C)",
    "BP2": "δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)",
    "BP3": "∂C/∂b^l = Σ_x δ^l",
    "BP4": "∂C/∂W^l = δ^l (a^{l-1})ᵀ",
}
"""Each equation the tier proves, as the derivation writes it."""


def undefined(name: str) -> tuple[type[sp.Function], Any]:
    """σ and σ', undefined functions linked only by d/dz σ(z) = σ'(z) (σ differentiable)."""
    prime = sp.Function(f"{name}'")

    class sigma(sp.Function):
        nargs = 1

        def fdiff(self, argindex: int = 1) -> Any:
            return prime(self.args[0])

    sigma.__name__ = sigma.__qualname__ = name
    return sigma, prime


def cost(n: int, N: int) -> tuple[type[sp.Function], list[Any]]:
    """C, an undefined function of the n·N outputs a_{jx} (row by row), and its partials ∂C/∂a_{jx}."""
    partials = [sp.Function(f"C_a{j + 1}{x + 1}") for j in range(n) for x in range(N)]

    class C(sp.Function):
        nargs = n * N

        def fdiff(self, argindex: int = 1) -> Any:
            return partials[argindex - 1](*self.args)

    return C, partials


def _elementwise(fn: Callable[[Any], Any]) -> Callable[[np.ndarray], np.ndarray]:
    apply = np.frompyfunc(fn, 1, 1)
    return lambda z: np.asarray(apply(z), dtype=object)


class E(sp.Function):
    """e^z as a function whose derivative is itself (all softmax's proof needs of exp)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> Any:
        return self


def _softmax(z: np.ndarray) -> np.ndarray:
    """a_j = e^{z_j} / Σ_k e^{z_k}, column by column (written here: the reference's max-shifted
    form computes the same function)."""
    e = np.array([[E(v) for v in row] for row in z], dtype=object)
    return e / e.sum(axis=0, keepdims=True)


def activation(name: str, jacobian: Callable[[Any, Any], Any] | None = None) -> Activation:
    """An undefined element-wise σ named `name`; or softmax, written here, with `jacobian`: the
    Jacobian code of the network under test (`run` takes it from that network), never a formula
    of the reference's registry picked here (DESIGN rule 1: the truth is SymPy's derivative)."""
    if name == "softmax":
        if jacobian is None:
            raise ValueError("softmax needs the Jacobian code under test (jacobian=)")
        return Activation("softmax", _softmax, jacobian, "softmax", elementwise=False)
    sigma, prime = undefined(name)
    return Activation(name, _elementwise(sigma), lambda z, a: _elementwise(prime)(z), f"{name} undefined")


def _jacobian_under_test(cls: type[Network], sizes: tuple[int, ...]) -> Callable[[Any, Any], Any]:
    """The softmax Jacobian that `cls` itself computes BP1 with: its constructor's choice, through
    its public `sigma(L)` (a mutant that overrides either is judged on its own)."""
    W = [np.zeros((m, n)) for n, m in itertools.pairwise(sizes)]
    b = [np.zeros((m, 1)) for m in sizes[1:]]
    probe = cls(W, b, activation="sigmoid", output_activation="softmax", loss="quadratic")
    return probe.sigma(probe.L).derivative


@functools.cache
def _seam(cls: type[Network]) -> type[Network]:
    """`cls` with its input checks accepting arrays of symbols (they require float arrays), and
    softmax's function written here wherever `cls`'s own `sigma(l)` gives softmax (a mutant that
    swaps in a variant of the registry's entry keeps the variant's Jacobian; the max-shifted form
    compares symbols); everything else, BP1-BP4 included, is `cls`'s own code."""

    def sigma(self: Network, l: int) -> Activation:
        chosen = cls.sigma(self, l)
        return dataclasses.replace(chosen, function=_softmax) if chosen.name == "softmax" else chosen

    return type(
        f"Symbolic{cls.__name__}",
        (cls,),
        {"check_input": lambda self, x: None, "check_batch": lambda self, x, y: None, "sigma": sigma},
    )


def _symbols(name: str, rows: int, columns: int) -> np.ndarray:
    return np.array([[sp.Symbol(f"{name}_{i + 1}{j + 1}") for j in range(columns)] for i in range(rows)], dtype=object)


@dataclass(frozen=True)
class Outcome:
    """One network's identities: each quantity proven, or the first that is not."""

    network: str
    sizes: tuple[int, ...]
    N: int
    output: str
    proven: tuple[str, ...]
    """The quantities proven, in walking order ("C", "δ^3", "δ^2", "∂C/∂b^3", ...)."""
    failed: str | None = None
    """The first quantity that is not an identity, if any."""
    equation: str | None = None
    """Its equation: a key of EQUATIONS."""
    element: tuple[int, int] | None = None
    residual: Any = None
    """reference − truth at that element, not zero (a SymPy expression)."""
    seconds: float = 0.0
    shown: str | None = None
    """The residual for reading: each z^l written as its symbol z{l}_{ic}, each ∂C/∂a^L_{jx}
    at the outputs as C_a{jx}, factored (`sympy.factor`, for display only: `decide` decided it)."""

    @property
    def ok(self) -> bool:
        return self.failed is None


class _Truth:
    """SymPy's derivatives of C through a forward pass written here (not the reference's)."""

    def __init__(self, W: list[np.ndarray], b: list[np.ndarray], x: np.ndarray, sigmas: list[Activation], C: Any) -> None:
        self.W, self.b, self.x, self.sigmas, self.C = W, b, x, sigmas, C
        self.zs, a_L = self.forward()
        self.cost = C(*a_L.flat)

    def forward(
        self, at: int | None = None, zeta: np.ndarray | None = None, below: np.ndarray | None = None
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """z^l and a^L, with z^{at} replaced by the symbols `zeta`, or a^{at-1} by the symbols
        `below` (the forward pass then starts at layer `at`), when given."""
        a, zs, first = self.x, [], 2
        if at is not None and below is not None:
            a, first = below, at
        for l, (W, b, sigma) in enumerate(zip(self.W, self.b, self.sigmas), start=2):
            if l < first:
                continue
            z = np.array(
                [
                    [sp.Add(*(W[i, k] * a[k, c] for k in range(W.shape[1])), b[i, 0]) for c in range(a.shape[1])]
                    for i in range(W.shape[0])
                ],
                dtype=object,
            )
            zs.append(z)
            if l == at and zeta is not None:
                z = zeta
            a = sigma.function(z)
        return zs, a

    def delta(self, l: int) -> np.ndarray:
        """δ^l = ∂C/∂z^l: C with z^l replaced by fresh symbols ζ, differentiated, ζ put back."""
        z = self.zs[l - 2]
        zeta = _symbols(f"zeta{l}", *z.shape)
        _, a_L = self.forward(l, zeta)
        return _derivatives(self.C(*a_L.flat), zeta, z)

    def gradient(self, l: int, parameters: np.ndarray) -> np.ndarray:
        """∂C/∂θ for the parameters θ of layer l: C with a^{l-1} replaced by fresh symbols α (it
        does not depend on θ), differentiated, α put back; a smaller expression than C's own."""
        if l == 2:
            _, a_L = self.forward()
            return _derivatives(self.C(*a_L.flat), parameters)
        below = self.sigmas[l - 3].function(self.zs[l - 3])
        alpha = _symbols(f"alpha{l - 1}", *below.shape)
        _, a_L = self.forward(l, below=alpha)
        return _derivatives(self.C(*a_L.flat), parameters, substitute={alpha[i]: below[i] for i in np.ndindex(below.shape)})


def _derivatives(C: Any, by: np.ndarray, put_back: np.ndarray | None = None, substitute: dict | None = None) -> np.ndarray:
    """∂C/∂s for each symbol s of `by` (an array), with each s then replaced by the same element
    of `put_back`, or the symbols of `substitute` by their values."""
    back = substitute or {}
    if put_back is not None:
        back = {by[i]: put_back[i] for i in np.ndindex(by.shape)}
    return np.array([[sp.diff(C, s).xreplace(back) for s in row] for row in by], dtype=object)


class _Values:
    """Each application of a function (σ(z), σ'(z), ∂C/∂a_{jx}(a^L), e^{z}) as one symbol, the
    same symbol wherever the same application occurs: the residual is then a polynomial (a
    rational function, for softmax) in these values and the parameters, and expansion to zero
    decides it. Applications are matched structurally (SymPy's canonical form): two equal
    values written differently would read as different, so a residual can only be
    over-reported, never proven zero when it is not."""

    def __init__(self) -> None:
        self.symbols: dict[Any, sp.Symbol] = {}
        self.seen: dict[Any, Any] = {}

    def of(self, expr: Any) -> Any:
        """`expr` with each outermost application replaced by its value's symbol, and each float
        constant of the reference's (1.0, 0.01, ...) by the exact rational it is."""
        if expr in self.seen:
            return self.seen[expr]
        if isinstance(expr, sp.Function):
            if expr not in self.symbols:
                self.symbols[expr] = sp.Symbol(f"v{len(self.symbols)}")
            out = self.symbols[expr]
        elif isinstance(expr, sp.Float):
            out = sp.Rational(expr)
        elif expr.args:
            out = expr.func(*(self.of(a) for a in expr.args))
        else:
            out = expr
        self.seen[expr] = out
        return out

    def back(self, expr: Any) -> Any:
        return expr.xreplace({v: applied for applied, v in self.symbols.items()})


def _first_residual(mine: np.ndarray, truth: np.ndarray, values: _Values) -> tuple[tuple[int, int], Any] | None:
    """The first element where reference − truth is not decided zero, with its residual."""
    mine = np.asarray(mine, dtype=object)
    if mine.shape != truth.shape:
        return (0, 0), sp.Symbol(f"shape{mine.shape}≠{truth.shape}")
    for index in np.ndindex(truth.shape):
        residual = decide(values.of(sp.sympify(mine[index])) - values.of(truth[index]))
        if residual != 0:
            return (int(index[0]), int(index[1])), values.back(residual)
    return None


def _quantities(L: int, layers: tuple[int, ...] | None) -> Iterator[tuple[str, str, str, int]]:
    """(label, equation, kind, l) in walking order: C, δ^L, δ^{L-1}.., ∂C/∂b^L.., ∂C/∂W^L..., the
    gradients of the given layers only (default all)."""
    yield "C", "forward", "cost", L
    for l in range(L, 1, -1):
        yield f"δ^{l}", "BP1" if l == L else "BP2", "delta", l
    chosen = [l for l in range(L, 1, -1) if layers is None or l in layers]
    for l in chosen:
        yield f"∂C/∂b^{l}", "BP3", "bias", l
    for l in chosen:
        yield f"∂C/∂W^{l}", "BP4", "weight", l


def run(
    cls: type[Network],
    sizes: tuple[int, ...],
    N: int,
    output: str = "τ",
    hidden: str = "σ",
    gradients_of: tuple[int, ...] | None = None,
) -> Outcome:
    """`cls`'s backward on a network of `sizes` with N samples, symbol for symbol against the truth:
    C, every δ^l, and ∂C/∂b^l, ∂C/∂W^l of the layers `gradients_of` (default all)."""
    start = time.perf_counter()
    W = [_symbols(f"W{l}", m, n) for l, (n, m) in enumerate(itertools.pairwise(sizes), start=2)]
    b = [_symbols(f"b{l}", m, 1) for l, m in enumerate(sizes[1:], start=2)]
    x = _symbols("x", sizes[0], N)
    C, partials = cost(sizes[-1], N)
    sigma = activation(hidden)
    tau = activation(output, _jacobian_under_test(cls, sizes) if output == "softmax" else None)
    loss = SimpleNamespace(
        name="C",
        cost=lambda a, y: C(*a.flat),
        gradient=lambda a, y: np.array([f(*a.flat) for f in partials], dtype=object).reshape(a.shape),
        check_targets=lambda y: None,
        output=None,
        formula="C undefined",
    )
    network: Any = object.__new__(_seam(cls))  # type: ignore[arg-type]
    network.weights, network.biases = W, b
    network.activation, network.output_activation, network.loss = sigma, tau, loss
    with np.errstate(all="ignore"):
        gradients = network.backward(x, np.zeros((sizes[-1], N), dtype=object))
    L = len(sizes)
    truth = _Truth(W, b, x, [sigma] * (L - 2) + [tau], C)
    values = _Values()
    proven: list[str] = []
    for label, equation, kind, l in _quantities(L, gradients_of):
        mine, want = _pair(kind, l, gradients, truth, W, b)
        found = _first_residual(mine, want, values)
        if found is not None:
            element, residual = found
            seconds = time.perf_counter() - start
            shown = _reading(residual, truth, partials)
            return Outcome(cls.__name__, sizes, N, output, tuple(proven), label, equation, element, residual, seconds, shown)
        proven.append(label)
    return Outcome(cls.__name__, sizes, N, output, tuple(proven), seconds=time.perf_counter() - start)


def _reading(residual: Any, truth: _Truth, partials: list[Any]) -> str:
    """The residual with z^l and ∂C/∂a^L named (see `Outcome.shown`), factored."""
    names = {z[i, c]: sp.Symbol(f"z{l}_{i + 1}{c + 1}") for l, z in enumerate(truth.zs, start=2) for i, c in np.ndindex(z.shape)}
    named = residual.xreplace(names)
    named = named.replace(lambda e: e.func in partials, lambda e: sp.Symbol(e.func.__name__))
    return str(sp.factor(named))


def decide(residual: Any) -> Any:
    """0 when `residual`, a rational function of the symbols whose denominators are products of
    powers of polynomials that are never zero (Σ_k e^{z_k}, for softmax), is identically zero;
    else `residual` itself. Exact and complete: each negative power b^{-k} becomes r_b^k for a fresh
    symbol r_b, the polynomial is expanded in SymPy's sparse polynomial ring over ℚ, then for each
    b in turn multiplied by b^K (K the degree in r_b) with r_b·b = 1: the numerator over the common
    denominator, which is the zero polynomial exactly when the function is zero. (`sympy.expand` of
    `together`'s numerator decides the same, 10x slower.)"""
    reciprocals: dict[Any, Any] = {}

    def reciprocal(power: Any) -> Any:
        return reciprocals.setdefault(power.base, sp.Dummy(f"r{len(reciprocals)}")) ** (-power.exp)

    polynomial = residual.replace(lambda e: e.is_Pow and e.exp.is_Integer and e.exp < 0, reciprocal)
    gens = sorted(polynomial.free_symbols.union(*(base.free_symbols for base in reciprocals)), key=sp.default_sort_key)
    if not gens:
        return 0 if polynomial == 0 else residual
    try:
        R, *_ = sp.polys.rings.ring(gens, sp.QQ)
        p = R.from_expr(polynomial)
        # The latest first: a base may hold the symbol of an earlier one (1 + r_T for 1 + T^{-1}).
        for base, r in reversed(list(reciprocals.items())):
            p = _clear(p, R, gens.index(r), R.from_expr(base))
    except (sp.polys.polyerrors.PolynomialError, ValueError, TypeError):  # a coefficient outside ℚ: SymPy's own route
        numerator, _ = sp.fraction(sp.together(residual))
        return 0 if sp.expand(numerator) == 0 else residual
    return 0 if p == 0 else residual


def _clear(p: Any, R: Any, i: int, base: Any) -> Any:
    """p · base^K with gen i (r, standing for 1/base) removed: Σ c_k r^k ↦ Σ c_k base^{K−k}."""
    K = max((m[i] for m in p.monoms()), default=0)
    powers = [R.one]
    for _ in range(K):
        powers.append(powers[-1] * base)
    out = R.zero
    for monomial, c in p.terms():
        out += R({(*monomial[:i], 0, *monomial[i + 1 :]): c}) * powers[K - monomial[i]]
    return out


def _pair(kind: str, l: int, gradients: Any, truth: _Truth, W: list[np.ndarray], b: list[np.ndarray]) -> tuple[Any, np.ndarray]:
    """The reference's quantity and the truth's."""
    if kind == "cost":
        return np.array([[gradients.loss]], dtype=object), np.array([[truth.cost]], dtype=object)
    if kind == "delta":
        return gradients.deltas[l - 2], truth.delta(l)
    if kind == "bias":
        return gradients.biases[l - 2], truth.gradient(l, b[l - 2])
    return gradients.weights[l - 2], truth.gradient(l, W[l - 2])
