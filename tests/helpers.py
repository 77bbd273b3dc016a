"""Helpers shared by the tests: which oracles can run here."""

from __future__ import annotations

import importlib.util

import pytest

from crosscheck.oracles import ORACLES

FRAMEWORKS = {name: oracle.framework for name, oracle in ORACLES.items()}


def framework_available(name: str | None) -> bool:
    return name is None or importlib.util.find_spec(name) is not None


def require(oracle: str) -> None:
    """Skip the calling test, with a reason, when `oracle`'s framework is missing."""
    module = FRAMEWORKS[oracle]
    if not framework_available(module):
        pytest.skip(f"{oracle} oracle needs {module}, which is not installed (pip install '.[{module}]')")


def oracle_params(names: tuple[str, ...] = tuple(FRAMEWORKS)) -> list:
    """pytest params for oracles, each marked (and skipped) by the framework it needs."""
    params = []
    for name in names:
        module = FRAMEWORKS[name]
        marks = []
        if module is not None:
            marks.append(getattr(pytest.mark, module))
            marks.append(pytest.mark.skipif(not framework_available(module), reason=f"{module} is not installed"))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def available_oracles() -> list[str]:
    """The oracles whose frameworks are installed here."""
    return [name for name, module in FRAMEWORKS.items() if framework_available(module)]


WORST: dict[tuple[str, str], float] = {}
"""Largest |diff|/tol seen per (oracle, dtype) in this session (written out by conftest)."""


def record_worst(oracle: str, dtype: object, ratio: float) -> None:
    key = (oracle, str(dtype))
    WORST[key] = max(WORST.get(key, 0.0), ratio)


def mixed_cases(seed: int, count: int, **fixed: str) -> list:
    """`count` cases that share nothing: each its own family of one (see `families`).
    `fixed` pins activation, output_activation or loss (as a mutant's strategy does)."""
    return families(seed, count, per_family=1, depth=None, N=None, **fixed)


def families(seed: int, count: int | None, per_family: int, depth: int | None = 3, N: int | None = 4, **fixed: str) -> list:
    """`count` random (activation, output, loss, dtype) families (every valid one when
    None; `fixed` pins any of the names), each with `per_family` cases of random widths
    (1-8) at one depth and batch size (drawn per family where None), with the
    strategies' weight scales (per layer) and input scales, and exact zeros planted in a
    third: cases that `check_cases` groups and pads."""
    import numpy as np

    from crosscheck.case import Case
    from crosscheck.strategies import (
        DTYPES,
        INPUT_SCALES,
        WEIGHT_SCALES,
        Scales,
        Structure,
        build_arrays,
        compatible_losses,
        compatible_outputs,
        hidden_activations,
    )
    from reference import ACTIVATIONS, Network

    rng = np.random.default_rng(seed)
    if count is None:
        outputs = sorted(ACTIVATIONS)
        chosen = [(h, o, loss, d) for h in hidden_activations() for o in outputs for loss in compatible_losses(o) for d in DTYPES]
    else:
        chosen = []
        for f in range(count):
            hidden = fixed.get("activation") or str(rng.choice(hidden_activations()))
            outputs = compatible_outputs(fixed["loss"]) if fixed.get("loss") else sorted(ACTIVATIONS)
            output = fixed.get("output_activation") or str(rng.choice(outputs))
            loss = fixed.get("loss") or str(rng.choice(compatible_losses(output)))
            chosen.append((hidden, output, loss, DTYPES[f % 2]))
    cases = []
    for f, (hidden, output, loss, dtype) in enumerate(chosen):
        d = depth if depth is not None else int(rng.integers(1, 6))
        n = N if N is not None else int(rng.integers(1, 9))
        for i in range(per_family):
            sizes = [int(s) for s in rng.integers(1, 9, size=d + 1)]
            if per_family > 1 and not ACTIVATIONS[output].elementwise:
                sizes[-1] = 4  # a softmax family shares its output width (it is grouped by it)
            scales = [float(rng.choice(WEIGHT_SCALES)) for _ in range(d)]
            input_scale, zeros = float(rng.choice(INPUT_SCALES)), bool(rng.random() < 1 / 3)
            structure = Structure(tuple(sizes), n, np.dtype(dtype), hidden, output, loss)
            W, b, x, y = build_arrays(rng, structure, Scales(tuple(scales), input_scale, zeros))
            net = Network(W, b, activation=hidden, output_activation=output, loss=loss)
            cases.append(Case(net, x, y, f"families({seed}) family {f} case {i}"))
    return cases
