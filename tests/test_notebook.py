"""In a notebook: a check's result and a training History display as a short line and a Markdown report, not a
dump of their fields (issue 36). A real Jupyter kernel runs a small notebook (nbclient and ipykernel, the test
extra; skipped without them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import framework_available

ROOT = Path(__file__).resolve().parents[1]
CELLS = [
    "import numpy as np\nimport crosscheck\nfrom reference import Network, train",
    (
        "def backprop(weights, biases, x, y):\n"
        "    acts, zs = [x], []\n"
        "    for W, b in zip(weights, biases):\n"
        "        zs.append(W @ acts[-1] + b); acts.append(1 / (1 + np.exp(-zs[-1])))\n"
        "    a, N = acts[-1], x.shape[1]\n"
        "    delta = (a - y) / N * a * (1 - a); dW, db = [], []\n"
        "    for l in range(len(weights) - 1, -1, -1):\n"
        "        dW.insert(0, delta @ acts[l].T); db.insert(0, delta.sum(axis=1, keepdims=True))\n"
        "        if l: delta = (weights[l].T @ delta) * acts[l] * (1 - acts[l])\n"
        "    return dW, db"
    ),
    "crosscheck.check_implementation(backprop, cases=20, dtypes=('float64',))",
    "network = Network.random((2, 3, 1), seed=0)\n"
    "x = np.array([[0., 0, 1, 1], [0, 1, 0, 1]]); y = np.array([[0., 1, 1, 0]])\n"
    "train(network, x, y, learning_rate=2.0, max_iterations=200)",
]


@pytest.mark.slow
@pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="the check uses torch and jax")
def test_a_notebook_shows_a_short_line_and_a_markdown_report():
    """A check's result (a function defined in a notebook cell, shipped to its own process) and train's History each
    display a Markdown report and a one-line plain repr, never the dataclass's fields."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    check, history = (notebook.cells[i].outputs[-1]["data"] for i in (2, 3))
    assert (
        check["text/plain"].startswith("<ImplementationCheck ok=True: your implementation agrees")
        and len(check["text/plain"]) < 200
    )
    assert check["text/markdown"].startswith("**your implementation agrees with torch and jax on all 20 cases")
    assert history["text/plain"].startswith("History(200 iterations, C ") and "stopped by max_iterations" in history["text/plain"]
    assert "| iteration | C |" in history["text/markdown"]
