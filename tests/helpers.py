"""Helpers shared by the tests: which oracles can run here."""

from __future__ import annotations

import importlib.util

import pytest

FRAMEWORKS = {"torch": "torch", "jax": "jax", "jax_forward": "jax", "numeric": None}


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


def mixed_cases(seed: int, count: int, **fixed: object) -> list:
    """`count` cases from one seed, everything drawn at random: depth 1-5, widths 1-8,
    N 1-8, both dtypes, every activation and compatible loss, the strategies' weight
    and input scales, exact zeros planted in a third. `fixed` pins activation,
    output_activation or loss (as a mutant's strategy does)."""
    import numpy as np

    from crosscheck.case import Case
    from crosscheck.strategies import DTYPES, INPUT_SCALES, WEIGHT_SCALES, build_arrays, compatible_losses, hidden_activations
    from reference import ACTIVATIONS, Network

    rng = np.random.default_rng(seed)
    outputs = sorted(ACTIVATIONS)
    cases = []
    for i in range(count):
        depth = int(rng.integers(1, 6))
        sizes = [int(n) for n in rng.integers(1, 9, size=depth + 1)]
        N = int(rng.integers(1, 9))
        dtype = DTYPES[int(rng.integers(len(DTYPES)))]
        hidden = str(fixed.get("activation", rng.choice(hidden_activations())))
        output = str(fixed.get("output_activation", rng.choice(outputs)))
        loss = str(fixed.get("loss", rng.choice(compatible_losses(output))))
        scales = [float(rng.choice(WEIGHT_SCALES)) for _ in range(depth)]
        W, b, x, y = build_arrays(
            rng, sizes, N, dtype, hidden, output, loss, scales, float(rng.choice(INPUT_SCALES)), bool(rng.random() < 1 / 3)
        )
        network = Network(W, b, activation=hidden, output_activation=output, loss=loss)
        cases.append(Case(network, x, y, f"mixed_cases({seed}, {count}) case {i}"))
    return cases


def families(seed: int, count: int | None, per_family: int, depth: int | None = 3, N: int | None = 4, zeros: bool = True) -> list:
    """`count` random (activation, output, loss, dtype) families (every valid one when
    None), each with `per_family` cases of random widths (1-8) at one depth and batch
    size (drawn per family where None), weight scales from the strategies' (per layer),
    exact zeros planted in every third: cases that `check_cases` groups and pads."""
    import numpy as np

    from crosscheck.case import Case
    from crosscheck.strategies import DTYPES, WEIGHT_SCALES, build_arrays, compatible_losses, hidden_activations
    from reference import ACTIVATIONS, Network

    rng = np.random.default_rng(seed)
    if count is None:
        outputs = sorted(ACTIVATIONS)
        chosen = [(h, o, loss, d) for h in hidden_activations() for o in outputs for loss in compatible_losses(o) for d in DTYPES]
    else:
        chosen = []
        for f in range(count):
            output = str(rng.choice(sorted(ACTIVATIONS)))
            hidden, loss = str(rng.choice(hidden_activations())), str(rng.choice(compatible_losses(output)))
            chosen.append((hidden, output, loss, DTYPES[f % 2]))
    cases = []
    for f, (hidden, output, loss, dtype) in enumerate(chosen):
        d = depth if depth is not None else int(rng.integers(1, 6))
        n = N if N is not None else int(rng.integers(1, 9))
        for i in range(per_family):
            sizes = [int(s) for s in rng.integers(1, 9, size=d + 1)]
            if not ACTIVATIONS[output].elementwise:
                sizes[-1] = 4  # a softmax group shares its output width
            scales = [float(rng.choice(WEIGHT_SCALES)) for _ in range(d)]
            W, b, x, y = build_arrays(rng, sizes, n, dtype, hidden, output, loss, scales, 1.0, zeros and i % 3 == 0)
            net = Network(W, b, activation=hidden, output_activation=output, loss=loss)
            cases.append(Case(net, x, y, f"families({seed}) family {f} case {i}"))
    return cases
