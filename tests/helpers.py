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
