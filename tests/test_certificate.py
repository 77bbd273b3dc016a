"""The certificate CLI end to end: exit codes, JSON schema, files written, a planted mismatch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from helpers import framework_available

from crosscheck.__main__ import main
from reference import activations as reference_activations

pytestmark = pytest.mark.skipif(
    not (framework_available("torch") and framework_available("jax")), reason="the certificate needs torch and jax"
)

SMALL = ["--only", "identity", "--cases", "2", "--mutant-examples", "20", "--iterations", "50"]


def test_a_small_run_writes_json_markdown_and_plots(tmp_path, capsys):
    """A run restricted to one entry exits 0 and writes the JSON, the Markdown certificate and three PNGs."""
    pytest.importorskip("matplotlib")
    code = main(
        [*SMALL, "--json", str(tmp_path / "c.json"), "--markdown", str(tmp_path / "c.md"), "--plots", str(tmp_path / "plots")]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "VERIFIED: BP1-BP4" in out
    data = json.loads((tmp_path / "c.json").read_text())
    assert set(data) >= {
        "versions",
        "seed",
        "cases_per_cell",
        "total_cases",
        "tolerances",
        "cells",
        "trajectory",
        "mutants",
        "verdict",
        "ok",
    }
    assert set(data["versions"]) >= {"python", "numpy", "torch", "jax", "hypothesis"}
    cell = data["cells"][0]
    assert set(cell) >= {"activation", "output_activation", "loss", "dtype", "cases", "worst_ratio", "ok"}
    assert all(0 <= r <= 1 for c in data["cells"] for r in c["worst_ratio"].values())
    assert {m["mutant"] for m in data["mutants"]} >= {"bp1_without_sigma_prime", "wrong_identity_derivative"}
    assert all(not m["missed_by"] for m in data["mutants"])
    markdown = (tmp_path / "c.md").read_text()
    assert "python -m crosscheck --only identity --cases 2" in markdown
    assert "BP1" in markdown and "Negative controls" in markdown
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "per_layer.png",
        "relative_errors.png",
        "xor_trajectory.png",
    ]


def test_same_seed_same_report(tmp_path):
    """Two runs with one seed give the same JSON apart from timings."""
    runs = []
    for i in range(2):
        path = tmp_path / f"{i}.json"
        assert main([*SMALL, "--quiet", "--json", str(path)]) == 0
        data = json.loads(path.read_text())
        data.pop("seconds")
        runs.append(data)
    assert runs[0] == runs[1]


def test_a_planted_mismatch_exits_1_with_the_counterexample(monkeypatch, capsys):
    """A wrong identity derivative (σ' = 2) makes the run exit 1 and print the counterexample's snippet."""
    entry = reference_activations.ACTIVATIONS["identity"]
    wrong = reference_activations.Activation("identity", entry.function, lambda z, a: 2 * np.ones_like(z), "wrong")
    monkeypatch.setitem(reference_activations.ACTIVATIONS, "identity", wrong)
    code = main(SMALL)
    out = capsys.readouterr().out
    assert code == 1
    assert "NOT VERIFIED" in out
    assert "Counterexample:" in out and "(reference), but" in out and "network = Network(" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--cases", "0"], "--cases must be at least 1"),
        (["--only", "swish"], "--only 'swish' is neither an activation nor a loss"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_usage_exits_2(args, words):
    """Bad options exit 2 with a message naming the option (run as a real subprocess)."""
    result = subprocess.run([sys.executable, "-m", "crosscheck", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert words in result.stderr
