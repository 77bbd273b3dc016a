"""A pytest plugin that counts the oracle results a test run checks, per oracle.

    PYTHONPATH=benchmarks python -m pytest -q -p oracle_count

One result is one case's gradients from one oracle: every oracle computes over stacks of
cases (`crosscheck.oracles`), and each call counts its stacks' cases. SGD-step checks are
not counted.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import crosscheck.oracles as oracles

COUNTS: Counter[str] = Counter()


def _install() -> None:
    """Every oracle's computation, counting the cases of the stacks it is given."""
    for key, oracle in list(oracles.ORACLES.items()):

        def counted(stacks: Any, compute: Any = oracle.compute, key: str = key) -> Any:
            COUNTS[key] += sum(stack.K for stack in stacks)
            return compute(stacks)

        oracles.ORACLES[key] = dataclasses.replace(oracle, compute=counted)


_install()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    per_oracle = ", ".join(f"{name} {count:,}" for name, count in sorted(COUNTS.items()))
    terminalreporter.write_line(f"oracle results: {sum(COUNTS.values()):,} ({per_oracle})")
