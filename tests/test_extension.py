"""Extension never turns the suite red (issue 36): with a new activation and a new loss registered as README's
"Use 2" does (tests/registered.py), the catalogue, negative-control and proof tests pass over them, in a fresh
process; the committed certificate alone goes stale, and says how to regenerate it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import framework_available

ROOT = Path(__file__).resolve().parents[1]
SELECTED = "softsign or logcosh or every_catalogue or registries or every_wrong or each_loss or entry_on_one_side"


@pytest.mark.slow
@pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="needs torch and jax")
def test_a_registered_activation_and_loss_keep_the_suite_green():
    """The catalogue, negative-control and proof tests, collected with softsign and logcosh registered (and their
    mutants), select tests over both and pass."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]), "HYPOTHESIS_PROFILE": "dev"}
    files = ["tests/test_catalogue.py", "tests/test_negative_controls.py", "tests/test_proof.py"]
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "registered",
        "-p",
        "no:cacheprovider",
        "-q",
        "-n",
        "0",
        "-k",
        SELECTED,
        *files,
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed" in done.stdout and "softsign" not in done.stdout.split("passed")[-1]
    collected = subprocess.run([*command, "--collect-only"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert "softsign" in collected.stdout and "logcosh" in collected.stdout, collected.stdout[-2000:]
