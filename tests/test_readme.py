"""The README's Python examples run as written, from a directory outside the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import framework_available

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def examples() -> list[str]:
    """Every ```python block of the README, in order (```text blocks are output, not code)."""
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_is_a_short_guide():
    """The README stays a user's guide of at most 250 lines, with its examples fenced as python."""
    lines = README.read_text().count("\n")
    assert lines <= 250, f"README.md has {lines} lines; move detail to docs/ (at most 250)"
    assert len(examples()) >= 4, "the README's runnable examples went missing"


@pytest.mark.slow
@pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="the examples use torch and jax")
@pytest.mark.parametrize("index", range(len(examples())))
def test_each_readme_example_runs(index, tmp_path):
    """README example `index` runs in a fresh interpreter from an empty directory, after the ones before it
    (a later block may use names an earlier one made), and exits 0."""
    source = "\n".join(examples()[: index + 1])
    script = tmp_path / "example.py"
    script.write_text(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"README example {index} failed:\n{examples()[index]}\n--- stderr ---\n{done.stderr[-3000:]}"
