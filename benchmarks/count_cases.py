"""A pytest plugin for the benchmark: how many cases the property tests check, and how fast.

Loaded by `benchmarks/run.py --pytest` (`python -m pytest -p count_cases`, with benchmarks/
on the path). It counts every case the checker judges while a Hypothesis test runs: each
stack's K in `stack_judgements`, which `check_case` and `check_cases` call (a case that
`check_cases` flags and judges again alone counts twice), and one a `step_check`. It times
each such test's call phase. The figures go, as JSON, to files named by CROSSCHECK_COUNT_CASES
and the process (`PATH.gw0`, `PATH.gw1`, ... under pytest-xdist; `PATH.main` without it).
"""

from __future__ import annotations

import functools
import json
import os
import time
from typing import Any

import pytest

COUNTED: dict[str, dict[str, float]] = {}
"""Per Hypothesis test that checked cases: cases checked and seconds of its call phase."""
_state = {"depth": 0, "cases": 0}


def _counting(function: Any, count: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _state["depth"] == 0:
            _state["cases"] += count(*args, **kwargs)
        _state["depth"] += 1
        try:
            return function(*args, **kwargs)
        finally:
            _state["depth"] -= 1

    return wrapper


def pytest_configure(config: pytest.Config) -> None:
    from crosscheck import check

    check.stack_judgements = _counting(check.stack_judgements, lambda stacks, *args, **kwargs: sum(s.K for s in stacks))
    check.step_check = _counting(check.step_check, lambda *args, **kwargs: 1)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    if not getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        return (yield)
    before, start = _state["cases"], time.perf_counter()
    try:
        return (yield)
    finally:
        cases = _state["cases"] - before
        if cases:
            COUNTED[item.nodeid] = {"cases": cases, "seconds": time.perf_counter() - start}


def pytest_unconfigure(config: pytest.Config) -> None:
    path = os.environ.get("CROSSCHECK_COUNT_CASES")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if path and (worker or not config.pluginmanager.hasplugin("dsession")):
        # Under pytest-xdist each worker process counts its own tests: one file each, merged by the benchmark.
        with open(f"{path}.{worker or 'main'}", "w") as f:
            json.dump(COUNTED, f)
