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
import linecache
import time
import traceback
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
    """σ and σ', undefined functions linked only by d/dz σ(z) = σ'(z, σ(z)) (σ differentiable). σ'
    takes the two arguments the code hands it, z and a = σ(z), as `Activation.derivative` does: code
    that hands it the right a meets the truth's application, and a wrong a (z, a^{l+1}, a copy
    overwritten in place) is another application, a residual."""
    prime = sp.Function(f"{name}'")

    class sigma(sp.Function):
        nargs = 1

        def fdiff(self, argindex: int = 1) -> Any:
            return prime(self.args[0], self)

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


def _elementwise(fn: Callable[..., Any], arguments: int = 1) -> Callable[..., np.ndarray]:
    apply = np.frompyfunc(fn, arguments, 1)
    return lambda *z: np.asarray(apply(*z), dtype=object)


def _softmax(z: np.ndarray) -> np.ndarray:
    """The truth's softmax, written here: a_j = e^{z_j} / Σ_k e^{z_k} over the neurons (axis −2) of each column."""
    e = np.frompyfunc(sp.exp, 1, 1)(z)
    return e / e.sum(axis=-2, keepdims=True)


class ForwardDiffers(Exception):
    """The code's own softmax is not the truth's softmax on these symbols: `index`, `residual` where not."""

    def __init__(self, index: tuple[int, ...], residual: Any) -> None:
        super().__init__(f"softmax differs at {index}")
        self.index, self.residual = index, residual


def _softmax_checked(own: Callable[[Any], Any], z: np.ndarray) -> np.ndarray:
    """The code's own softmax run on z (its max an undefined M), decided equal, element by element, to the
    truth's e^{z_j}/Σ_k e^{z_k} (ForwardDiffers where not); the truth's form is then handed on, the equal
    value it is, so that the rest of the proof does not carry the shift that cancelled."""
    z = np.asarray(z, dtype=object)
    mine, truth = np.asarray(own(z.view(Shifted)), dtype=object), _softmax(z)
    if mine.shape != truth.shape:
        raise ForwardDiffers((0,), sp.Symbol(f"shape{mine.shape}≠{truth.shape}"))
    values = Values()
    for index in np.ndindex(truth.shape):
        if decide(values.of(sp.sympify(mine[index])) - values.of(truth[index])) != 0:
            residual = (sp.sympify(mine[index]) - truth[index]).replace(
                lambda e: getattr(e.func, "__name__", "") == "M", lambda e: 0
            )
            raise ForwardDiffers(index, residual)
    return truth


class Shifted(np.ndarray):
    """z as the code's own softmax gets it on the proven path: `.max(axis)` is an undefined function
    M of the values it takes the maximum of (so that the shift, taken over the right axis, must
    cancel: over another axis it does not), and np.exp is SymPy's exp, element by element."""

    def max(self, axis: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        values = np.asarray(self)
        axis = -1 if axis is None else axis
        taken = np.apply_along_axis(lambda v: sp.Function("M")(*v), axis, values)
        return (np.expand_dims(taken, axis) if keepdims else taken).view(Shifted)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        plain = tuple(np.asarray(i) if isinstance(i, Shifted) else i for i in inputs)
        if ufunc is np.exp and method == "__call__":
            result = np.frompyfunc(sp.exp, 1, 1)(*plain)
            out = kwargs.get("out")
            if out is not None:
                np.asarray(out[0])[...] = result
                return out[0]
            return np.asarray(result, dtype=object).view(Shifted)
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, Shifted) else o for o in kwargs["out"])
        result = getattr(ufunc, method)(*plain, **kwargs)
        return result.view(Shifted) if isinstance(result, np.ndarray) and result.dtype == object else result


def activation(name: str, jacobian: Callable[[Any, Any], Any] | None = None) -> Activation:
    """An undefined element-wise σ named `name`; or softmax, written here, with `jacobian`: the
    Jacobian code of the network under test (`run` takes it from that network), never a formula
    of the reference's registry picked here (DESIGN rule 1: the truth is SymPy's derivative)."""
    if name == "softmax":
        if jacobian is None:
            raise ValueError("softmax needs the Jacobian code under test (jacobian=)")
        return Activation("softmax", _softmax, jacobian, "softmax", elementwise=False)
    sigma, prime = undefined(name)
    return Activation(name, _elementwise(sigma), _elementwise(prime, 2), f"{name} undefined")


def _softmax_under_test(cls: type[Network], sizes: tuple[int, ...]) -> Activation:
    """The softmax that `cls` itself computes with, its function and its Jacobian: its constructor's
    choice, through its public `sigma(L)` (a mutant that overrides either is judged on its own)."""
    W = [np.zeros((m, n)) for n, m in itertools.pairwise(sizes)]
    b = [np.zeros((m, 1)) for m in sizes[1:]]
    probe = cls(W, b, activation="sigmoid", output_activation="softmax", loss="quadratic")
    return probe.sigma(probe.L)


@functools.cache
def _seam(cls: type[Network]) -> type[Network]:
    """`cls` with its input checks accepting arrays of symbols (they require float arrays), and
    softmax's function written here wherever `cls`'s own `sigma(l)` gives softmax (a mutant that
    swaps in a variant of the registry's entry keeps the variant's Jacobian; the max-shifted form
    compares symbols); everything else, BP1-BP4 included, is `cls`'s own code."""

    def sigma(self: Network, l: int) -> Activation:
        chosen = cls.sigma(self, l)
        if chosen.name != "softmax":
            return chosen
        own = chosen.function  # the code's own softmax (the registry's, or a mutant's variant), on symbols
        return dataclasses.replace(chosen, function=lambda z: _softmax_checked(own, z))

    quiet = {name: (lambda self, *arguments: None) for name in ("check_input", "check_batch", "check_out")}
    return type(f"Symbolic{cls.__name__}", (cls,), {**quiet, "sigma": sigma})


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


class Values:
    """Each application of a function (σ(z), σ'(z), ∂C/∂a_{jx}(a^L), e^{z}) as one symbol, the
    same symbol wherever the same application occurs: the residual is then a polynomial (a
    rational function, for softmax) in these values and the parameters, and expansion to zero
    decides it. Applications are matched by their function and their arguments' normal form (each
    argument's values as symbols, `sympy.cancel`ed: ∂C/∂a_{jx} of the shifted softmax's outputs and
    of the truth's is one application); two equal values whose normal forms differ still read as
    different, so a residual can only be over-reported, never proven zero when it is not."""

    def __init__(self) -> None:
        self.symbols: dict[Any, sp.Symbol] = {}
        self.keys: dict[Any, sp.Symbol] = {}
        self.seen: dict[Any, Any] = {}
        self.normal: dict[Any, Any] = {}

    def _normal(self, argument: Any) -> Any:
        """An argument's normal form: its values as symbols, over one denominator (once per argument)."""
        if argument not in self.normal:
            self.normal[argument] = sp.cancel(self.of(argument))
        return self.normal[argument]

    def _symbol(self, applied: Any, key: Any) -> sp.Symbol:
        if key not in self.keys:
            self.keys[key] = sp.Symbol(f"v{len(self.keys)}")
            self.symbols[applied] = self.keys[key]
        return self.keys[key]

    def of(self, expr: Any) -> Any:
        """`expr` with each outermost application replaced by its value's symbol, and each float
        constant of the reference's (1.0, 0.01, ...) by the exact rational it is. An exponential is
        first split over the terms of its argument, e^{z − M} = e^{z} (e^{M})^{-1}, so that a shifted
        softmax and the truth's meet in the same symbols."""
        if expr in self.seen:
            return self.seen[expr]
        if expr.func is sp.exp:
            out = sp.Integer(1)
            for term in sp.Add.make_args(sp.expand(expr.args[0])):
                c, rest = term.as_coeff_Mul()  # e^{c m} = (e^{m/q})^{p} for c = p/q: e^{2z} and (e^z)² meet
                power, rest = (int(c), rest) if c.is_Integer else (int(c.p), rest / c.q) if c.is_Rational else (1, term)
                applied = sp.exp(rest, evaluate=False)
                out *= self._symbol(applied, (sp.exp, self._normal(rest))) ** power
        elif isinstance(expr, sp.Function):
            out = self._symbol(expr, (expr.func, *(self._normal(a) for a in expr.args)))
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


def _first_residual(mine: np.ndarray, truth: np.ndarray, values: Values) -> tuple[tuple[int, int], Any] | None:
    """The first element where reference − truth is not decided zero, with its residual."""
    mine = np.asarray(mine, dtype=object)
    if mine.shape != truth.shape:
        return (0, 0), sp.Symbol(f"shape{mine.shape}≠{truth.shape}")
    for index in np.ndindex(truth.shape):
        residual = decide(values.of(sp.sympify(mine[index])) - values.of(truth[index]))
        if residual != 0:
            # For reading: the difference as computed, the softmax's shift M (which cancels) taken as 0.
            shown = (sp.sympify(mine[index]) - truth[index]).replace(
                lambda e: getattr(e.func, "__name__", "") == "M", lambda e: 0
            )
            return (int(index[0]), int(index[1])), shown
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


PATHS = ("arrays", "stack", "out")
"""The code paths the reference takes, each run on symbols: one case's 2-D arrays; a stack of K = 2
cases on a leading axis (`@` mapped over it, `.mT`, the certificate's numeric path); and `out=`,
a second backward writing into the first one's arrays (what `train` does from its second step)."""


Symbols = tuple[list[np.ndarray], list[np.ndarray], np.ndarray]
"""One case's W^l, b^l and x, as arrays of symbols."""


def run(
    cls: type[Network],
    sizes: tuple[int, ...],
    N: int,
    output: str = "τ",
    hidden: str = "σ",
    gradients_of: tuple[int, ...] | None = None,
    *,
    path: str = "arrays",
) -> Outcome:
    """`cls`'s backward on a network of `sizes` with N samples, on the code path `path` (PATHS),
    symbol for symbol against the truth: C, every δ^l, and ∂C/∂b^l, ∂C/∂W^l of the layers
    `gradients_of` (default all), of each case."""
    start = time.perf_counter()
    K = 2 if path == "stack" else 1
    cases = [_parameters(sizes, N, f"k{k + 1}" if path == "stack" else "") for k in range(K)]
    C, partials = cost(sizes[-1], N)
    sigma = activation(hidden)
    own = _softmax_under_test(cls, sizes) if output == "softmax" else None
    tau = activation(output, own.derivative if own is not None else None)  # the truth's: its function written here
    network, x = _network(cls, cases, path)
    network.activation, network.output_activation = sigma, own if own is not None else tau
    network.loss = _undefined_loss(C, partials)
    L = len(sizes)
    try:
        with np.errstate(all="ignore"):
            y = np.zeros((*x.shape[:-2], sizes[-1], N), dtype=object)
            gradients = network.backward(x, y)
            if path == "out":
                gradients = network.backward(x, y, out=gradients)
    except ForwardDiffers as differs:  # the code's own softmax computes another function: its forward, C, is refuted
        shown = f"a^L{list(differs.index)} (the code's softmax − the truth's) = {readable(differs.residual)}"
        element = (int(differs.index[-2]), int(differs.index[-1]))
        return Outcome(
            cls.__name__, sizes, N, output, (), "C", "forward", element, differs.residual, time.perf_counter() - start, shown
        )
    except Exception as error:  # the code under test crashed on symbols: that refutes what it was computing
        label, equation = raised_in(error, L)
        shown = f"{type(error).__name__}: {error}"
        return Outcome(cls.__name__, sizes, N, output, (), label, equation, None, None, time.perf_counter() - start, shown)
    stacked = path == "stack"
    proven: list[str] = []
    for k, (W, b, x_k) in enumerate(cases):
        truth = _Truth(W, b, x_k, [sigma] * (L - 2) + [tau], C)
        found = _first_refuted(_case(gradients, k) if stacked else gradients, truth, gradients_of, proven, k)
        if found is not None:
            label, equation, element, residual = found
            named = f"{label} (case {k + 1} of the stack)" if stacked else label
            shown = _reading(residual, truth, partials)
            seconds = time.perf_counter() - start
            return Outcome(cls.__name__, sizes, N, output, tuple(proven), named, equation, element, residual, seconds, shown)
    return Outcome(cls.__name__, sizes, N, output, tuple(proven), seconds=time.perf_counter() - start)


def _network(cls: type[Network], cases: list[Symbols], path: str) -> tuple[Any, Any]:
    """A `cls` (through its seam: `_seam`) holding the symbols of the cases, stacked on the "stack" path; its x."""
    network: Any = object.__new__(_seam(cls))  # type: ignore[arg-type]
    if path == "stack":
        layers = range(len(cases[0][0]))
        network.weights = [np.stack([case[0][i] for case in cases]) for i in layers]
        network.biases = [np.stack([case[1][i] for case in cases]) for i in layers]
        return network, np.stack([case[2] for case in cases])
    network.weights, network.biases, x = cases[0]
    return network, x


def _first_refuted(
    mine: Any, truth: _Truth, gradients_of: tuple[int, ...] | None, proven: list[str], k: int
) -> tuple[str, str, Any, Any] | None:
    """The first quantity of case `k` whose residual against the truth is not zero, as (label, equation, element,
    residual); None when every one is zero. Each quantity proven is added to `proven` as it is."""
    values = Values()
    for label, equation, kind, l in _quantities(len(truth.W) + 1, gradients_of):
        found = _first_residual(*_pair(kind, l, mine, truth, truth.W, truth.b), values)
        if found is not None:
            return label, equation, *found
        proven.append(label if k == 0 else f"{label} (case {k + 1})")
    return None


def _parameters(sizes: tuple[int, ...], N: int, suffix: str) -> Symbols:
    """W^l, b^l and x as symbols (named with `suffix`, one case of a stack)."""
    W = [_symbols(f"W{l}{suffix}", m, n) for l, (n, m) in enumerate(itertools.pairwise(sizes), start=2)]
    b = [_symbols(f"b{l}{suffix}", m, 1) for l, m in enumerate(sizes[1:], start=2)]
    return W, b, _symbols(f"x{suffix}", sizes[0], N)


def _undefined_loss(C: Any, partials: list[Any]) -> SimpleNamespace:
    """The cost C, an undefined function of the outputs, and its partials, for one case or a stack."""

    def each(a: np.ndarray, apply: Callable[[np.ndarray], Any]) -> Any:
        return apply(a) if a.ndim == 2 else np.array([apply(case) for case in a], dtype=object)

    return SimpleNamespace(
        name="C",
        cost=lambda a, y: each(a, lambda case: C(*case.flat)),
        gradient=lambda a, y: each(a, lambda case: np.array([f(*case.flat) for f in partials], dtype=object).reshape(case.shape)),
        check_targets=lambda y: None,
        output=None,
        formula="C undefined",
    )


def _case(gradients: Any, k: int) -> SimpleNamespace:
    """Case k's quantities out of a stack's."""
    return SimpleNamespace(
        loss=gradients.loss[k],
        deltas=[d[k] for d in gradients.deltas],
        weights=[W[k] for W in gradients.weights],
        biases=[b[k] for b in gradients.biases],
    )


def raised_in(error: BaseException, L: int) -> tuple[str, str]:
    """(quantity, equation) that the code under test was computing when it raised: read off its
    traceback, the innermost frame of `backward`, `_bp1` or `forward` (and of the comprehensions
    in `backward` that compute BP3 and BP4), with that frame's layer l."""
    found, layer = ("C", "forward"), L
    for frame, _ in traceback.walk_tb(error.__traceback__):
        code, l = frame.f_code, frame.f_locals.get("l")
        layer = l if isinstance(l, int) else layer
        equation = METHODS.get(code.co_name)
        if code.co_name == "backward" and isinstance(l, int):
            equation = "BP2"
        elif code.co_name in ("<listcomp>", "<genexpr>") and isinstance(l, int):
            line = linecache.getline(code.co_filename, frame.f_lineno)
            equation = "BP3" if "biases" in line or "np.sum" in line else "BP4"
        if equation is not None:
            found = (_label(equation, L if equation == "BP1" else layer, L), equation)
    return found


METHODS = {"forward": "forward", "_bp1": "BP1", "bp1": "BP1", "bp2": "BP2", "sigma_prime": "BP2", "bp3": "BP3", "bp4": "BP4"}
"""The reference's (and the mutants') methods, each with the equation it computes."""


def _label(equation: str, l: int, L: int) -> str:
    return {"forward": "C", "BP1": f"δ^{L}", "BP2": f"δ^{l}", "BP3": f"∂C/∂b^{l}", "BP4": f"∂C/∂W^{l}"}[equation]


def _exp_named(argument: Any, names: dict[Any, Any]) -> Any:
    """e^{c·z} as (e^{z_name})^c where the argument is an integer multiple of a named z (display only)."""
    c, inner = argument.as_content_primitive()
    if c.is_Integer and inner in names:
        return sp.Pow(sp.exp(names[inner], evaluate=False), c, evaluate=False)
    return sp.exp(argument)


def _reading(residual: Any, truth: _Truth, partials: list[Any]) -> str:
    """The residual with z^l and ∂C/∂a^L named (see `Outcome.shown`), factored."""
    names = {z[i, c]: sp.Symbol(f"z{l}_{i + 1}{c + 1}") for l, z in enumerate(truth.zs, start=2) for i, c in np.ndindex(z.shape)}
    named = residual.replace(lambda e: e.func is sp.exp, lambda e: _exp_named(e.args[0], names))  # e^{2 z}: (e^{z})²
    named = named.xreplace(names)
    named = named.replace(lambda e: e.func in partials, lambda e: sp.Symbol(e.func.__name__))
    return readable(named)


FACTORED = 120
"""Operations in a residual above which it is shown as it is, not factored (factoring a large one
took minutes: a refutation must cost no more than a proof)."""
SHOWN = 600
"""Characters of a residual shown; past them, its size."""


def readable(residual: Any) -> str:
    """A residual for reading: factored (`sympy.factor`, for display only) when it has at most FACTORED
    operations, each exponential kept whole (e^700 − 1 is not split into its cyclotomic factors, e^{z} not into e^{b} e^{W a});
    else as it is, cut at SHOWN characters with its size."""
    size = sp.count_ops(residual)
    if size <= FACTORED:
        constants = {
            e: sp.Dummy(f"exp{i}") for i, e in enumerate(residual.atoms(sp.exp)) if e.args[0].is_number or e.args[0].is_Add
        }
        text = str(sp.factor(residual.xreplace(constants)).xreplace({d: e for e, d in constants.items()}))
    else:
        text = str(residual)
    if len(text) > SHOWN:
        text = text[:SHOWN] + f" … ({size} operations, {len(text):,} characters in all)"
    return text


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
