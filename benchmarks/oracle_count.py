"""A pytest plugin that counts the oracle results a test run checks, per oracle.

    PYTHONPATH=benchmarks python -m pytest -q -p oracle_count

One result is one case's gradients from one oracle: each per-case oracle call counts 1,
a batched call (`crosscheck.batched`, `crosscheck.many`) counts its cases, and finite
differences count one per case differenced (one `crosscheck.numeric._Model` each).
SGD-step checks are not counted. The figures in the README's Performance section come
from this plugin, run on each commit compared (for an older commit, from a worktree:
`PYTHONPATH=/path/to/this/benchmarks python -m pytest -q -p oracle_count`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import crosscheck.batched as batched
import crosscheck.numeric as numeric
import crosscheck.oracles as oracles

try:
    import crosscheck.many as many
except ImportError:  # commits before check_cases, counted for the README's "before"
    many = None  # type: ignore[assignment]

COUNTS: Counter[str] = Counter()


def _counting(function: Any, name: Any, cases: Any) -> Any:
    """`function`, counting `cases(*args)` results for the oracle `name(*args)` on each call."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        COUNTS[name(*args)] += cases(*args)
        return function(*args, **kwargs)

    return counted


def _install() -> None:
    model_init = numeric._Model.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        COUNTS["numeric"] += 1
        model_init(self, *args, **kwargs)

    numeric._Model.__init__ = init  # type: ignore[method-assign]
    for key, oracle in list(oracles.ORACLES.items()):
        if key != "numeric":  # counted where each case is differenced
            counted = _counting(oracle.function, lambda *_, key=key: key, lambda *_: 1)
            oracles.ORACLES[key] = dataclasses.replace(oracle, function=counted)
    mode = {"reverse": "jax", "forward": "jax_forward"}
    batched.torch_batch = _counting(batched.torch_batch, lambda *_: "torch", lambda batch: batch.K)
    batched.jax_batch = _counting(batched.jax_batch, lambda batch, m: mode[m], lambda batch, m: batch.K)
    if many is not None:
        many._torch_group = _counting(many._torch_group, lambda *_: "torch", lambda group: len(group.members))
        many._jax_groups = _counting(
            many._jax_groups, lambda groups, m: mode[m], lambda groups, m: sum(len(g.members) for g in groups)
        )


_install()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    per_oracle = ", ".join(f"{name} {count:,}" for name, count in sorted(COUNTS.items()))
    terminalreporter.write_line(f"oracle results: {sum(COUNTS.values()):,} ({per_oracle})")
