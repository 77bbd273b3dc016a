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
def test_each_readme_example_runs_on_its_own(index, tmp_path):
    """README example `index`, alone (no earlier block before it), runs in a fresh interpreter from an empty
    directory outside the repository and exits 0: a newcomer can copy any one block."""
    script = tmp_path / "example.py"
    script.write_text(examples()[index])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"README example {index} failed:\n{examples()[index]}\n--- stderr ---\n{done.stderr[-3000:]}"


def test_the_extension_examples_use_public_names_only():
    """The README's examples reach nothing private: no `module._name` anywhere in its code."""
    private = [m for block in examples() for m in re.findall(r"\b[A-Za-z]\w*\._\w+", block)]
    assert not private, f"the README's examples use private names: {private}"


def _sections() -> set[str]:
    return {line.lstrip("#").strip() for line in README.read_text().splitlines() if line.startswith("#")}


def test_every_readme_citation_names_a_section_that_exists():
    """Each place in crosscheck/ and reference/ that cites the README (README, "Section") names one of its headings."""
    cited = []
    for path in [*(ROOT / "crosscheck").rglob("*.py"), *(ROOT / "reference").rglob("*.py")]:
        for found in re.findall(r"README, [\"']([^\"']+)[\"']", path.read_text()):
            cited.append((path.relative_to(ROOT).as_posix(), found))
    assert cited, "no README citation found: the pattern went stale"
    missing = [(path, section) for path, section in cited if section not in _sections()]
    assert not missing, f"citations of README sections that do not exist: {missing}"
