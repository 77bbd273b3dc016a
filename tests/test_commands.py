"""Every `python -m crosscheck verify` command that README.md and examples/ print runs, as printed, from the
repository's root: each exits 0 and its first line says the implementation agrees (issue 36: a learner copies
them)."""

from __future__ import annotations

import os
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
    """The command as printed exits 0, and its first line is the verdict that the implementation agrees. README's runs
    as printed; an example's runs on 100 cases a dtype (its declarations decide the row), as printed under the
    thorough profile."""
    if where != "README.md" and os.environ.get("HYPOTHESIS_PROFILE") != "thorough":
        command += " --cases 100"
    done = subprocess.run([sys.executable, *shlex.split(command)[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600)
    first = done.stdout.splitlines()[0] if done.stdout else ""
    assert done.returncode == 0, f"{where}: {command}\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
    assert first.startswith("your implementation agrees with torch and jax on all"), first


@pytest.mark.slow
@pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="verify needs torch and jax")
def test_the_slipped_mlp_exits_1_and_names_bp2_at_its_first_hidden_layer():
    """examples/mlp.py's command on its slipped twin (tanh' left out at the first hidden layer) exits 1 and names
    BP2 at layer 2, the learner's weights[0], as its docstring says."""
    command = next(c for w, c in printed_commands() if w == "mlp.py").replace("mlp:backprop", "mlp:backprop_slipped")
    command += " --cases 100"  # a failure shows in the first cases: the rest would only be counted
    done = subprocess.run([sys.executable, *shlex.split(command)[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.startswith("Your implementation disagrees with the oracles"), done.stdout[:300]
    assert "look at BP2" in done.stdout and "(layer 2, your " in done.stdout, done.stdout


def _on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """The command with its standard error on a pseudo-terminal (120 columns) and its standard output piped:
    (exit status, what the terminal showed, standard output)."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other end closed: the command has ended
            break
        if not chunk:
            break
        shown += chunk
    with process:
        out = process.stdout.read() if process.stdout else ""
        status = process.wait(timeout=300)
    os.close(master)
    return status, shown.decode("utf-8", "replace"), out


@pytest.mark.slow
@pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="verify needs torch and jax")
def test_verify_draws_a_progress_bar_on_a_terminal_and_none_when_piped():
    """On a terminal, verify's standard error shows its progress (the cases judged of those asked, each stage to the
    end); piped, it shows none; the report on standard output is the same either way."""
    args = ["-m", "crosscheck", "verify", "examples.columns:backprop", "--cases", "30"]
    status, shown, out = _on_a_terminal(args)
    piped = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert status == piped.returncode == 0, shown + piped.stderr
    assert "cases" in shown and "60/60" in shown, shown[-2000:]
    assert "60/60" not in piped.stderr and "cases" not in piped.stderr, piped.stderr
    assert out == piped.stdout


@pytest.mark.slow
@pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="grade needs torch and jax")
def test_grade_draws_a_bar_of_submissions_and_the_failing_ones_on_a_terminal(tmp_path):
    """On a terminal, grade's standard error shows the submissions graded of those found and how many fail."""
    import shutil

    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ada.py", "eve.py"):
        shutil.copy(ROOT / "examples" / "class" / name, folder / name)
    args = ["-m", "crosscheck", "grade", str(folder), "--out", str(tmp_path / "out"), "--cases", "10", "--workers", "1"]
    status, shown, _ = _on_a_terminal(args)
    assert status == 0, shown[-2000:]
    assert "grading" in shown and "2/2" in shown and "1 failing" in shown, shown[-2000:]
