"""The oracles, in one registry: what each computes with, how it is judged, and how it steps.

Each oracle writes its computation once, over a list of stacks of cases
(`crosscheck.case.Stack`); one case is a stack of one. It returns, per stack, the
stacked loss, δ^l, ∂C/∂W^l and ∂C/∂b^l in the derivation's layout, and its own error
estimate where it has one (finite differences). Only parameters, data and the
activation and loss names reach it; every formula is the framework's own
(`crosscheck.counterparts`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from crosscheck import counterparts as _counterparts
from crosscheck import frameworks
from crosscheck.case import Case, Parameters, Stack
from crosscheck.oracles import jax as _jax
from crosscheck.oracles import numeric as _numeric
from crosscheck.oracles import torch as _torch
from crosscheck.tolerances import AUTOGRAD_KIND, FINITE_DIFFERENCES_KIND
from reference import Gradients, Network

Computation = Callable[[list[Stack]], "list[tuple[Gradients, Gradients | None]]"]


@dataclass(frozen=True)
class Oracle:
    """One independent way to compute the gradients."""

    name: str
    description: str
    kind: str
    """The comparison kind, which picks the tolerance table (`crosscheck.tolerances.TABLES`)."""
    framework: str | None
    """The module it needs ("torch", "jax"), or None."""
    compute: Computation
    sgd_step: Callable[[Case, float], tuple[Parameters, float]] | None = None
    """The framework's own update (and the cost before it); None: W − η ∂C/∂W from `compute`."""
    update: Callable[[Case, float, float, float], Parameters] | None = None
    """(case, η, c, wd) -> the parameters after the framework's own step on C + c·ΣW² with weight decay wd
    (torch.optim.SGD's rule); None: W − η (∂C/∂W + 2cW + wd·W) from `compute` and `l2`."""
    share: float = 1.0
    """The share of a certificate cell's cases it checks: forward mode and finite
    differences cost one pass per parameter, so they see a fixed subset (at least one)."""
    l2: Callable[[list[np.ndarray], np.ndarray], tuple[np.ndarray, list[np.ndarray]]] | None = None
    """(stacked weights, c per case) -> (R = c·ΣW² per case, ∂R/∂W^l), in this oracle's own
    framework: the L2 term an implementation under test declares in its cost."""

    @property
    def available(self) -> bool:
        return self.framework is None or importlib.util.find_spec(self.framework) is not None

    def require(self) -> None:
        """Raise `FrameworkMissing` naming the extra to install when the framework is missing."""
        if self.framework is not None:
            getattr(frameworks, self.framework)()


ORACLES: dict[str, Oracle] = {
    oracle.name: oracle
    for oracle in (
        Oracle(
            "torch",
            "PyTorch autograd (δ from the z tensors)",
            AUTOGRAD_KIND,
            "torch",
            _torch.gradients,
            _torch.sgd_step,
            l2=_torch.l2,
            update=_torch.update,
        ),
        Oracle(
            "jax",
            "`jax.grad` (δ as the gradient with respect to a zero perturbation of each z)",
            AUTOGRAD_KIND,
            "jax",
            functools.partial(_jax.gradients, mode="reverse"),
            _jax.sgd_step,
            l2=_jax.l2,
            update=_jax.update,
        ),
        Oracle(
            "jax_forward",
            "JAX forward mode (`jax.jacfwd`)",
            AUTOGRAD_KIND,
            "jax",
            functools.partial(_jax.gradients, mode="forward"),
            share=1 / 8,
            l2=_jax.l2,
        ),
        Oracle(
            "numeric",
            "central finite differences in float64",
            FINITE_DIFFERENCES_KIND,
            None,
            _numeric.gradients,
            share=1 / 16,
            l2=_numeric.l2,
        ),
    )
}


@contextlib.contextmanager
def focused(activation: str, output_activation: str, loss: str, clip: float = 0.0) -> Iterator[None]:
    """Within: every check uses only these names (a check of your implementation), so an oracle that compiles
    may compile for them alone (JAX's programs then switch over two activations and one loss, not the catalogue)."""
    try:
        names = (tuple(dict.fromkeys((activation, output_activation, "identity"))), (_counterparts.loss(loss, clip).name,))
    except _counterparts.MissingCounterpart:  # a name the check itself will refuse, naming it: no focus
        yield
        return
    _jax.FOCUS.append(names)
    try:
        yield
    finally:
        _jax.FOCUS.pop()


def lookup(names: Sequence[str] | None) -> list[Oracle]:
    """The oracles named (all when None), each checked to exist."""
    if isinstance(names, str):
        names = [names]
    chosen = list(ORACLES) if names is None else list(names)
    if not chosen:
        raise ValueError(f"oracles is empty: a check that compares nothing cannot fail; name at least one of {list(ORACLES)}")
    wrong = [n for n in chosen if not isinstance(n, str)]
    if wrong:
        raise TypeError(f"oracles must be names (str), got {wrong[0]!r}")
    unknown = [n for n in chosen if n not in ORACLES]
    if unknown:
        raise ValueError(f"unknown oracle(s) {unknown}; known: {list(ORACLES)}")
    return [ORACLES[n] for n in chosen]


def available() -> tuple[str, ...]:
    """The oracles whose frameworks are installed here."""
    return tuple(name for name, oracle in ORACLES.items() if oracle.available)


def oracle_gradients(name: str, network: Network, x: np.ndarray, y: np.ndarray) -> Gradients:
    """One oracle's loss, δ^l, ∂C/∂W^l and ∂C/∂b^l for one network and batch (a stack of one)."""
    (oracle,) = lookup([name])
    case = Case(network, x, y)
    stack = Stack.of([case])
    stacked, _ = oracle.compute([stack])[0]
    return stack.unstacked(stacked, 0)


__all__ = ["FINITE_DIFFERENCES_KIND", "ORACLES", "Oracle", "available", "lookup", "oracle_gradients"]
