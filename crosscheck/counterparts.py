"""The oracles' side of each catalogue entry: the frameworks' own functions.

For every activation and loss of the reference there is one counterpart here, written
independently of `reference/` (docs/DESIGN.md, rule 1): the PyTorch and JAX built-ins that
compute the same function, and a NumPy expression of the *function only* (never its
derivative) for the finite-difference oracle. Derivatives come from autograd or from
differencing, never from here.

Layouts: every function below acts on arrays of shape (n, N) or (..., n, N) with the
neurons on axis -2 and the samples on axis -1, the reference's convention. Framework
modules are imported lazily, so this module imports without torch or jax.

To add a case, add one `ActivationCounterpart` or `LossCounterpart` entry below,
under the same name as the reference's entry (README, "Use 2: add an activation or a loss").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# Framework arrays are typed loosely: torch and jax are optional imports.
Fn = Callable[[Any], Any]


@dataclass(frozen=True)
class ActivationCounterpart:
    """σ as each oracle computes it."""

    name: str
    torch: Fn
    """torch.Tensor -> torch.Tensor, neurons on axis -2."""
    jax: Callable[[Any, Any], Any]
    """(z, rows) -> a: jax.Array, neurons on axis -2; `rows` masks the real neurons of
    a padded layer (only softmax needs it)."""
    numpy: Fn
    """float64 ndarray -> ndarray: σ only, for finite differences and scales."""
    derivative_error: Callable[[np.ndarray, np.ndarray], np.ndarray]
    """(z, a) -> a bound, in units of ε, on the rounding error with which frameworks
    evaluate σ'(z) (for σ(1 − σ) it is ~a, from 1 − a). Tolerance scales only."""
    kinks: tuple[float, ...] = ()
    """Points where σ is not differentiable (the reference declares the same ones)."""
    nonsmooth: tuple[float, ...] = ()
    """Further points where a higher derivative of σ jumps (elu's σ'' at 0): a
    finite-difference stencil across one loses its order. FD skips both kinds."""
    function_error: Callable[[np.ndarray, np.ndarray], np.ndarray] = lambda z, a: np.abs(a)
    """(z, a) -> a bound, in units of ε, on the rounding error of σ(z) itself as
    implementations compute it: |a| where σ keeps its relative accuracy, more where a
    formula cancels (gelu's 1 + erf(z/√2) for z ≪ 0 loses ε·|z|). Tolerance scales only."""
    elementwise: bool = True
    """False for softmax, whose outputs each depend on the whole column."""
    hand_written: tuple[str, ...] = ()
    """The frameworks ("torch", "jax") whose σ here is an expression written in this file
    rather than the framework's own built-in (finite differences always use the NumPy
    expression). A verdict resting only on hand-written counterparts blames no one."""
    any_function_error: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    """(z, a) -> the bound of `function_error` for *any* sound floating-point formulation of
    σ (σ through tanh, through 1 + e^{−z}, ...), which need not keep σ's relative accuracy
    in the tails: an implementation under test is judged with it (None: `function_error`)."""
    any_derivative_error: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    """(z, a) -> the bound of `derivative_error` for any sound formulation of σ' (s(1 − s),
    1 − tanh², 1/cosh², e^{−z}/(1 + e^{−z})², ...), absolute rather than relative in the
    tails (None: `derivative_error`)."""
    stable_form: str = ""
    """A formulation of σ and σ' that keeps their relative accuracy in the tails, for the
    note on an implementation that is right but less precise than the frameworks."""
    mpmath: Callable[[Any, Any], Any] | None = None
    """(mp, z) -> σ(z) written with mpmath's functions (`mp.exp`, `mp.tanh`, ...), σ only,
    never σ': tests/test_derivatives.py differentiates it in 50 digits to check the
    reference's σ' and this entry's `derivative_error` (None: those checks skip it, saying so)."""

    def function_bound(self, formulation: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """`function_error` ("strict") or `any_function_error` ("any")."""
        return self.any_function_error if formulation == "any" and self.any_function_error else self.function_error

    def derivative_bound(self, formulation: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """`derivative_error` ("strict") or `any_derivative_error` ("any")."""
        return self.any_derivative_error if formulation == "any" and self.any_derivative_error else self.derivative_error


def _absolute(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """A bounded σ computed with an absolute error of a few ε wherever it lies in its range,
    as 1 + tanh(z/2) or 1 + e^z give it: ε(|a| + 2) (a library's tanh or exp is itself a few
    ulps off, and the 1 + rounds once more)."""
    return np.abs(a) + 2.0


def _unit(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """σ' computed from a σ with an absolute error of a few ε (s(1 − s), 1 − tanh²): 2ε of the
    operand's error carried, and the products' own rounding."""
    return 2.0 + 2.0 * np.abs(a)


@dataclass(frozen=True)
class LossCounterpart:
    """The batch cost C(a, y) as each oracle computes it; a and y are (n_L, N)."""

    name: str
    torch: Callable[[Any, Any], Any]
    """Scalar tensor C from the torch.nn.functional loss, reduction converted."""
    jax: Callable[[Any, Any, Any], Any]
    """(a, y, mask) -> scalar C; `mask` (same shape, 0/1) drops padded entries and
    the sample count N is `mask`'s number of real columns."""
    numpy_per_sample: Callable[[np.ndarray, np.ndarray], np.ndarray]
    """(..., n_L, N) -> (..., N): each sample's share C_x of C (so C = Σ_x C_x)."""
    gradient_scale: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    """(a, y, E) -> a bound on |∇_a C| free of cancellation, counting an error E (in
    units of ε) in a; shape (n_L, N) (tolerance scales)."""
    targets: Callable[[np.random.Generator, tuple[int, int]], np.ndarray]
    """Draws valid float64 targets y of a shape (n_L, N), for the strategies."""
    nonsmooth_residuals: tuple[float, ...] = ()
    """Values of a − y where a derivative of the cost jumps (Huber's ±1): finite
    differences skip stencils across them."""
    hand_written: tuple[str, ...] = ("jax",)
    """The frameworks whose cost here is an expression written in this file, not a
    built-in: JAX has no loss functions (they live in optax), so "jax" for every loss."""
    function_error: Callable[[np.ndarray, np.ndarray], np.ndarray] = lambda a, y: np.zeros_like(a)
    """(a, y) -> a bound, in units of ε, on the rounding error of each term of C beyond
    what the term's own magnitude implies (a formula that cancels). Tolerance scales only."""
    gradient_error: Callable[[np.ndarray, np.ndarray], np.ndarray] = lambda a, y: np.zeros_like(a)
    """(a, y) -> a bound, in units of ε, on the rounding error of ∇_a C beyond
    `gradient_scale`'s (a hand-written gradient that cancels). Tolerance scales only."""
    mpmath: Callable[[Any, Any, Any], Any] | None = None
    """(mp, a, y) -> one element's term of N·C, written with mpmath's functions (C itself,
    never ∇_a C): tests/test_derivatives.py differentiates it in 50 digits to check the
    reference's ∇_a C (None: that check skips this loss, saying so)."""


def torch_module() -> Any:
    import torch

    return torch


def jax_nn() -> Any:
    import jax

    return jax.nn


def jax_numpy() -> Any:
    import jax.numpy as jnp

    return jnp


def real_samples(mask: Any) -> Any:
    """The number of real samples N in a padded (n, N) mask."""
    return jax_numpy().max(mask, axis=-2).sum()


# --- activations ---------------------------------------------------------------------
def torch_functional() -> Any:
    return torch_module().nn.functional


def jax_elementwise(f: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """An element-wise JAX σ ignores the mask of real neurons."""
    return lambda z, rows: f(z)


def _numpy_sigmoid(z: np.ndarray) -> np.ndarray:
    # An independent formula, exp(−log(1 + e^{−z})), accurate relative to σ in both tails.
    return np.exp(-np.logaddexp(0.0, -z))


def _numpy_softmax(z: np.ndarray) -> np.ndarray:
    # log-sum-exp form, neurons on axis −2.
    return np.exp(z - np.logaddexp.reduce(z, axis=-2, keepdims=True))


def _numpy_gelu(z: np.ndarray) -> np.ndarray:
    # z Φ(z) with Φ(z) = erfc(−z/√2)/2, accurate in the lower tail. NumPy has no erfc:
    # SciPy's (installed with jax) when present, else math.erfc element by element.
    return z * 0.5 * _erfc(-z / math.sqrt(2.0))


def _erfc(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erfc
    except ImportError:
        return np.frompyfunc(math.erfc, 1, 1)(x).astype(np.float64)
    return np.asarray(erfc(x), dtype=np.float64)


def _torch_softplus(z: Any) -> Any:
    # torch's softplus turns linear above `threshold` (default 20), an error of e^{-20}
    # ≈ 2e-9 relative to z: above rounding in float64. 40 makes it exact to rounding in
    # float64 (e^{-40} ≈ 4e-18); float32 keeps the default (e^{-20} is below its ε).
    threshold = 40.0 if z.dtype == torch_module().float64 else 20.0
    return torch_functional().softplus(z, threshold=threshold)


def _jax_leaky_relu(z: Any) -> Any:
    # jax.nn.leaky_relu ties at 0 to the right (slope 1: its where uses x >= 0) while
    # PyTorch and the reference take the left slope (0.01). Evaluating the built-in on
    # −z, f(z) = −0.01 · leaky_relu(−z, 1/0.01), moves JAX's tie to the left: the same
    # function everywhere, the reference's convention at z = 0.
    return -0.01 * jax_nn().leaky_relu(-z, negative_slope=100.0)


ACTIVATIONS: dict[str, ActivationCounterpart] = {
    entry.name: entry
    for entry in (
        ActivationCounterpart(
            "sigmoid",
            torch=lambda z: torch_module().sigmoid(z),
            jax=jax_elementwise(lambda z: jax_nn().sigmoid(z)),
            numpy=_numpy_sigmoid,
            derivative_error=lambda z, a: np.abs(a),  # σ(1 − σ): 1 − a loses ε·a
            any_function_error=_absolute,  # ½(1 + tanh(z/2)) loses ε absolutely for z ≪ 0
            any_derivative_error=_unit,  # s(1 − s) from an s with an absolute error of ε
            stable_form="σ(z) = exp(−log(1 + e^{−z})) (np.exp(-np.logaddexp(0, -z))), σ'(z) = σ(z) σ(−z)",
        ),
        ActivationCounterpart(
            "tanh",
            torch=lambda z: torch_module().tanh(z),
            jax=jax_elementwise(lambda z: jax_numpy().tanh(z)),
            numpy=lambda z: 2.0 * _numpy_sigmoid(2.0 * z) - 1.0,
            derivative_error=lambda z, a: 2.0 * a * a,  # 1 − a²
            any_function_error=_absolute,  # 2σ(2z) − 1 loses ε absolutely near 0
            any_derivative_error=_unit,  # 1 − tanh² from a tanh with an absolute error of ε
            stable_form="np.tanh(z), tanh'(z) = 1/cosh²(z) (or 4 σ(2z) σ(−2z))",
        ),
        ActivationCounterpart(
            "relu",
            torch=lambda z: torch_functional().relu(z),
            jax=jax_elementwise(lambda z: jax_nn().relu(z)),
            numpy=lambda z: np.where(z > 0, z, 0.0),
            derivative_error=lambda z, a: np.zeros_like(z),
            kinks=(0.0,),
        ),
        ActivationCounterpart(
            "leaky_relu",
            torch=lambda z: torch_functional().leaky_relu(z, negative_slope=0.01),
            jax=jax_elementwise(_jax_leaky_relu),
            numpy=lambda z: np.maximum(z, 0.0) + 0.01 * np.minimum(z, 0.0),
            derivative_error=lambda z, a: np.zeros_like(z),
            kinks=(0.0,),
        ),
        ActivationCounterpart(
            "elu",
            torch=lambda z: torch_functional().elu(z, alpha=1.0),
            jax=jax_elementwise(lambda z: jax_nn().elu(z, alpha=1.0)),
            numpy=lambda z: np.maximum(z, 0.0) + np.expm1(np.minimum(z, 0.0)),
            derivative_error=lambda z, a: np.abs(a) + 1.0,
            nonsmooth=(0.0,),
            any_function_error=_absolute,  # e^z − 1 instead of expm1
            stable_form="np.expm1(z) for z < 0, and σ'(z) = e^z there",
        ),
        ActivationCounterpart(
            "softplus",
            torch=_torch_softplus,
            jax=jax_elementwise(lambda z: jax_nn().softplus(z)),
            numpy=lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))),
            derivative_error=lambda z, a: np.ones_like(z),
            any_function_error=_absolute,  # log(1 + e^z) loses ε absolutely for z ≪ 0
            stable_form="max(z, 0) + log1p(e^{−|z|}), σ'(z) = exp(−log(1 + e^{−z}))",
        ),
        ActivationCounterpart(
            "silu",
            torch=lambda z: torch_functional().silu(z),
            jax=jax_elementwise(lambda z: jax_nn().silu(z)),
            numpy=lambda z: z * _numpy_sigmoid(z),
            derivative_error=lambda z, a: 1.0 + np.abs(z),
            any_function_error=lambda z, a: np.abs(a) + np.abs(z),  # z σ(z) with σ's absolute error ε
            stable_form="z σ(z) with σ(z) = exp(−log(1 + e^{−z}))",
        ),
        ActivationCounterpart(
            "gelu",
            torch=lambda z: torch_functional().gelu(z, approximate="none"),
            jax=jax_elementwise(lambda z: jax_nn().gelu(z, approximate=False)),
            numpy=_numpy_gelu,
            derivative_error=lambda z, a: 1.0 + np.abs(z),
            function_error=lambda z, a: np.abs(a) + np.abs(z),  # z(1 + erf): 1 + erf loses ε
        ),
        ActivationCounterpart(
            "gelu_tanh",
            torch=lambda z: torch_functional().gelu(z, approximate="tanh"),
            jax=jax_elementwise(lambda z: jax_nn().gelu(z, approximate=True)),
            numpy=lambda z: z * _numpy_sigmoid(2.0 * math.sqrt(2.0 / math.pi) * (z + 0.044715 * z**3)),
            derivative_error=lambda z, a: 1.0 + np.abs(z) + 0.2 * np.abs(z) ** 3,
            function_error=lambda z, a: np.abs(a) + np.abs(z),  # z(1 + tanh u): 1 + tanh u loses ε
        ),
        ActivationCounterpart(
            "identity",
            torch=lambda z: z,
            jax=jax_elementwise(lambda z: z),
            numpy=lambda z: z,
            derivative_error=lambda z, a: np.zeros_like(z),
        ),
        ActivationCounterpart(
            "softmax",
            torch=lambda z: torch_module().softmax(z, dim=-2),
            jax=lambda z, rows: jax_nn().softmax(z, axis=-2, where=rows),
            numpy=_numpy_softmax,
            derivative_error=lambda z, a: np.abs(a),
            elementwise=False,
        ),
    )
}


# --- losses --------------------------------------------------------------------------
def _unit_interval(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Targets in [0, 1], about a quarter of them exactly 0 or 1."""
    y = rng.uniform(size=shape)
    exact = rng.uniform(size=shape) < 0.25
    return np.where(exact, np.round(y), y)


def _distributions(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Columns that sum to 1: one-hot or drawn probabilities, about half each. The last row is 1 minus the
    others, so a single class's target is exactly 1 (NumPy's Dirichlet can give 0.9999999999999999, and a
    one-output softmax's gradient, a·Σy − y, is then 1e-16 where code that takes Σy = 1 gives 0)."""
    n, N = shape
    probabilities = rng.dirichlet(np.ones(n), size=N).T
    probabilities[-1] = np.maximum(1.0 - probabilities[:-1].sum(axis=0), 0.0)
    one_hot = np.eye(n)[:, rng.integers(0, n, size=N)]
    return np.where(rng.uniform(size=N) < 0.5, one_hot, probabilities)


def _targets_anywhere(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Targets of either sign, some beyond Huber's ±1 knee from typical outputs."""
    return rng.normal(0.0, 1.5, size=shape)


def _torch_quadratic(a: Any, y: Any) -> Any:
    # mse_loss(reduction="sum") is Σ‖a − y‖²; the derivation's cost is that over 2N.
    return torch_functional().mse_loss(a, y, reduction="sum") / (2 * a.shape[-1])


def _torch_bce(a: Any, y: Any) -> Any:
    return torch_functional().binary_cross_entropy(a, y, reduction="sum") / a.shape[-1]


def _torch_cross_entropy(a: Any, y: Any) -> Any:
    # F.cross_entropy takes scores with the classes on dim 1 and applies log_softmax
    # to them; on log a, log_softmax(log a) = log a − log Σ a = log a since Σ a = 1.
    # (n, N) puts the classes on dim 0: transpose; a stack (K, n, N) has them on dim 1.
    scores, targets = (torch_module().log(a).T, y.T) if a.ndim == 2 else (torch_module().log(a), y)
    return torch_functional().cross_entropy(scores, targets, reduction="sum") / a.shape[-1]


def _torch_clipped_cross_entropy(a: Any, y: Any) -> Any:
    return -torch_module().xlogy(y, a).sum() / a.shape[-1]


def _torch_huber(a: Any, y: Any) -> Any:
    return torch_functional().huber_loss(a, y, reduction="sum", delta=1.0) / a.shape[-1]


def _jax_quadratic(a: Any, y: Any, mask: Any) -> Any:
    return jax_numpy().sum(mask * (a - y) ** 2) / (2 * real_samples(mask))


def _jax_bce(a: Any, y: Any, mask: Any) -> Any:
    jnp = jax_numpy()
    # JAX has no loss functions of its own; the expression, on padded entries a = 1/2.
    a = jnp.where(mask > 0, a, 0.5)
    terms = jnp.where(y > 0, y * jnp.log(a), 0.0) + jnp.where(y < 1, (1 - y) * jnp.log1p(-a), 0.0)
    return -jnp.sum(mask * terms) / real_samples(mask)


def _jax_cross_entropy(a: Any, y: Any, mask: Any) -> Any:
    jnp = jax_numpy()
    safe = jnp.where((mask > 0) & (y > 0), a, 1.0)
    return -jnp.sum(jnp.where((mask > 0) & (y > 0), y * jnp.log(safe), 0.0)) / real_samples(mask)


def _jax_huber(a: Any, y: Any, mask: Any) -> Any:
    jnp = jax_numpy()
    r = jnp.abs(a - y)
    return jnp.sum(mask * jnp.where(r <= 1, 0.5 * r * r, r - 0.5)) / real_samples(mask)


def _numpy_bce(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(a), 0.0) + np.where(y < 1, (1 - y) * np.log1p(-a), 0.0)
    return -np.sum(terms, axis=-2) / a.shape[-1]


def _numpy_cross_entropy(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(a), 0.0)
    return -np.sum(terms, axis=-2) / a.shape[-1]


def _numpy_huber(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = np.abs(a - y)
    return np.sum(np.where(r <= 1, 0.5 * r * r, r - 0.5), axis=-2) / a.shape[-1]


def _bce_scale(a: np.ndarray, y: np.ndarray, E: np.ndarray) -> np.ndarray:
    # |∇C| ≤ (|a| + |y|)/(a(1 − a)N); 1 − a computed from a loses ε(a + E) absolutely,
    # a relative error of (a + E)/(1 − a) in the denominator (and E/a for a itself).
    margin = np.minimum(a, 1 - a)
    with np.errstate(divide="ignore"):
        bound = (np.abs(a) + np.abs(y)) / (a * (1 - a) * a.shape[-1])
        return bound * (1.0 + (a + E + 1.0) / margin)


def _cross_entropy_scale(a: np.ndarray, y: np.ndarray, E: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(y > 0, np.abs(y) / a, 0.0) / a.shape[-1]
        return bound * (1.0 + np.where(y > 0, (E + a) / a, 0.0))


LOSSES: dict[str, LossCounterpart] = {
    entry.name: entry
    for entry in (
        LossCounterpart(
            "quadratic",
            torch=_torch_quadratic,
            jax=_jax_quadratic,
            numpy_per_sample=lambda a, y: np.sum((a - y) ** 2, axis=-2) / (2 * a.shape[-1]),
            gradient_scale=lambda a, y, E: (np.abs(a) + np.abs(y) + E) / a.shape[-1],
            targets=_unit_interval,
        ),
        LossCounterpart(
            "binary_cross_entropy",
            torch=_torch_bce,
            jax=_jax_bce,
            numpy_per_sample=_numpy_bce,
            gradient_scale=_bce_scale,
            targets=_unit_interval,
        ),
        LossCounterpart(
            "cross_entropy",
            torch=_torch_cross_entropy,
            jax=_jax_cross_entropy,
            numpy_per_sample=_numpy_cross_entropy,
            gradient_scale=_cross_entropy_scale,
            targets=_distributions,
        ),
        LossCounterpart(
            "huber",
            torch=_torch_huber,
            jax=_jax_huber,
            numpy_per_sample=_numpy_huber,
            gradient_scale=lambda a, y, E: (np.abs(a) + np.abs(y) + E) / a.shape[-1],
            targets=_targets_anywhere,
            nonsmooth_residuals=(-1.0, 1.0),
        ),
    )
}


class MissingCounterpart(LookupError):
    """A reference entry has no counterpart here (or the other way round)."""


def activation(name: str) -> ActivationCounterpart:
    """The counterpart of the reference's activation `name`."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise MissingCounterpart(
            f"the reference's activation {name!r} has no counterpart: add an "
            f"ActivationCounterpart named {name!r} to ACTIVATIONS in crosscheck/counterparts.py "
            "(README, 'Use 2: add an activation or a loss')"
        ) from None


CLIPPED: dict[str, LossCounterpart] = {}
"""Losses with a declared clip of their argument (`loss(name, clip)` makes each), by name: kept apart from
LOSSES, which mirrors the reference's registry."""


def loss(name: str, clip: float = 0.0) -> LossCounterpart:
    """The counterpart of the reference's loss `name`; with `clip`, the same cost on a clipped to
    [clip, 1 − clip] in each framework (an implementation's declared clip of a log loss's argument)."""
    if clip:
        return _clipped(name, float(clip))
    if name in CLIPPED:
        return CLIPPED[name]
    try:
        return LOSSES[name]
    except KeyError:
        raise MissingCounterpart(
            f"the reference's loss {name!r} has no counterpart: add a LossCounterpart named "
            f"{name!r} to LOSSES in crosscheck/counterparts.py "
            "(README, 'Use 2: add an activation or a loss')"
        ) from None


def _clipped(name: str, clip: float) -> LossCounterpart:
    """`name`'s counterpart with a clipped to [clip, 1 − clip] before the cost, in torch (clamp), JAX (clip)
    and NumPy (clip): where the clip holds, the cost is flat and its gradient 0, as in code that clips."""
    label = f"{name} clipped at {clip:g}"
    if label not in CLIPPED:
        base = loss(name)
        # torch's F.cross_entropy applies log_softmax, which would renormalise a clipped a (Σa ≠ 1) and undo
        # the clip: the clipped cross-entropy is −Σ y log a on the clamped a, with torch.xlogy.
        clipped_torch = _torch_clipped_cross_entropy if name == "cross_entropy" else base.torch
        CLIPPED[label] = dataclasses.replace(
            base,
            name=label,
            torch=lambda a, y: clipped_torch(torch_module().clamp(a, clip, 1 - clip), y),
            hand_written=tuple(sorted({*base.hand_written, "torch"})) if name == "cross_entropy" else base.hand_written,
            jax=lambda a, y, mask: base.jax(jax_numpy().clip(a, clip, 1 - clip), y, mask),
            numpy_per_sample=lambda a, y: base.numpy_per_sample(np.clip(a, clip, 1 - clip), y),
        )
    return CLIPPED[label]


def hand_written(framework: str | None, names: tuple[str, ...]) -> list[str]:
    """The entries among `names` (hidden, output, loss) whose counterpart for `framework` is
    hand-written (finite differences, framework None: every one, its σ and C are NumPy
    expressions written here)."""
    entries = [*(ACTIVATIONS.get(n) for n in names[:2]), LOSSES.get(names[2])]
    found = [e.name for e in entries if e is not None and (framework is None or framework in e.hand_written)]
    return sorted(set(found), key=found.index)


def registry_mismatches() -> list[str]:
    """What the reference's registries and these counterparts disagree on, one line each."""
    from reference import ACTIVATIONS as REFERENCE_ACTIVATIONS
    from reference import LOSSES as REFERENCE_LOSSES

    problems = []
    for kind, reference, ours, cls in (
        ("activation", REFERENCE_ACTIVATIONS, ACTIVATIONS, "ActivationCounterpart"),
        ("loss", REFERENCE_LOSSES, LOSSES, "LossCounterpart"),
    ):
        for name in sorted(set(reference) - set(ours)):
            problems.append(
                f"the reference's {kind} {name!r} has no counterpart: add a {cls} named {name!r} to "
                f"{'ACTIVATIONS' if kind == 'activation' else 'LOSSES'} in crosscheck/counterparts.py"
            )
        for name in sorted(set(ours) - set(reference)):
            problems.append(
                f"crosscheck's {kind} counterpart {name!r} has no reference entry: add it to "
                f"{'ACTIVATIONS in reference/activations.py' if kind == 'activation' else 'LOSSES in reference/losses.py'}"
            )
    for name in sorted(set(REFERENCE_ACTIVATIONS) & set(ACTIVATIONS)):
        entry, counterpart = REFERENCE_ACTIVATIONS[name], ACTIVATIONS[name]
        if tuple(entry.kinks) != tuple(counterpart.kinks):
            problems.append(f"activation {name!r} declares kinks {entry.kinks} in reference/ but {counterpart.kinks} here")
        if entry.elementwise != counterpart.elementwise:
            problems.append(f"activation {name!r} is elementwise={entry.elementwise} in reference/ but not here")
    return problems
