"""Every `python -m crosscheck verify` command that README.md and examples/ print runs, as printed, from the
repository's root: each exits 0 and its first line says the implementation agrees (issue 36: a learner copies
them)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import framework_available

ROOT = Path(__file__).resolve().parents[1]


def printed_commands() -> list[tuple[str, str]]:
    """(where, command) for each verify command printed: README's in backticks, each example's in its docstring
    (a line ending in a backslash goes on)."""
    found = []
    readme = (ROOT / "README.md").read_text()
    for command in re.findall(r"`(python\s+-m\s+crosscheck\s+verify\s[^`]+)`", readme):
        found.append(("README.md", " ".join(command.split())))
    for path in sorted((ROOT / "examples").glob("*.py")):
        docstring = path.read_text().split('"""')[1] if '"""' in path.read_text() else ""
        joined = re.sub(r"\\\\\n\s*", " ", docstring)
        for line in joined.splitlines():
            if line.strip().startswith("python -m crosscheck verify"):
                found.append((path.name, " ".join(line.split())))
    return found


def test_every_example_prints_its_command_and_the_readme_its_own():
    """Each example module of examples/ prints a verify command for itself, and README.md prints at least one."""
    where = {w for w, _ in printed_commands()}
    modules = {p.name for p in (ROOT / "examples").glob("*.py") if p.name != "__init__.py"}
    assert modules <= where and "README.md" in where, (modules - where, where)


@pytest.mark.slow
@pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="verify needs torch and jax")
@pytest.mark.parametrize(("where", "command"), printed_commands(), ids=[f"{w}: {c.split()[4]}" for w, c in printed_commands()])
def test_a_printed_command_runs_as_printed_and_agrees(where, command):
    """The command as printed exits 0, and its first line is the verdict that the implementation agrees."""
    done = subprocess.run([sys.executable, *shlex.split(command)[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600)
    first = done.stdout.splitlines()[0] if done.stdout else ""
    assert done.returncode == 0, f"{where}: {command}\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
    assert first.startswith("your implementation agrees with torch and jax on all"), first
