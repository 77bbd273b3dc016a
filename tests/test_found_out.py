"""Issue 40: correct code passes however it is shaped, and the edges of the process boundary hold.

Each test names the finding it decides; each failed on main at 4f06f4c. The misbehaving answers (a non-text
key, big-endian arrays, a 300 MB answer, a print where no file can grow) are rows of tests/test_misbehaving.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import framework_available

import crosscheck
from crosscheck import counterparts, isolation, outputs

ROOT = Path(__file__).resolve().parents[1]
needs_frameworks = pytest.mark.skipif(
    not (framework_available("torch") and framework_available("jax")), reason="needs torch and jax"
)


# --- the time limit is judged on arrival ------------------------------------------------------
def test_an_answer_that_arrives_after_the_time_limit_is_not_finished_however_busy_the_checker_was():
    """A call that took 3 s under a 1 s limit is "timed_out" even when its answer was already queued because the
    checker was busy (here: asleep) until after it came."""
    runner = isolation.Runner({"backward": isolation.named("misbehaving", "takes_three_seconds")}, isolation.Limits(1.0))
    W, b, x, y = [np.ones((1, 1))], [np.ones((1, 1))], np.ones((1, 1)), np.ones((1, 1))
    try:
        collect = runner.submit([[("backward", (W, b, x, y))]])
        time.sleep(4.0)  # the checker compiling JAX, say: the answer arrives meanwhile
        ((outcome,),) = collect()
    finally:
        runner.close()
    assert outcome.kind == "timed_out", outcome
    assert outcome.seconds > 1.0, outcome


# --- the outputs ------------------------------------------------------------------------------
def test_standard_input_is_refused_as_an_output():
    """--json /dev/stdin would replace the file the shell redirected into the process: refused when parsed."""
    for path in ("/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"):
        with pytest.raises(outputs.Refused, match="standard input"):
            outputs.output_file(path)


def test_a_fifo_made_at_the_output_path_during_the_run_is_written_in_place(tmp_path):
    """A path that was not there at parse time and is a FIFO at the end is written into, never replaced."""
    path = tmp_path / "v.json"
    output = outputs.output_file(str(path))
    os.mkfifo(path)
    got: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as f:
            got.append(f.read())

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.2)
    outputs.write(output, b'{"ok": false}')
    reader.join(5)
    assert got == [b'{"ok": false}']
    assert path.is_fifo()


@needs_frameworks
def test_an_interrupted_verify_leaves_no_earlier_verdict_at_its_output(tmp_path):
    """An earlier run's "ok" at --json is gone once the run is stopped in its first second (exit 130)."""
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"ok": True}))
    command = [sys.executable, "-m", "crosscheck", "verify", "examples.columns:backprop", "--json", str(path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.6)
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 130
    assert not path.exists(), path.read_text()


# --- correct code passes ----------------------------------------------------------------------
@needs_frameworks
def test_a_fused_softmax_head_clipped_at_1e_7_agrees():
    """A book's softmax + cross-entropy head clipped at 1e-7 agrees: torch's oracle costs the clamped a itself,
    where F.cross_entropy's log_softmax renormalised the clip away (72 of 200 cases failed)."""
    mine = crosscheck.Convention("book", samples="rows", weights="in_out", biases="flat", targets="one_hot", clip=1e-7)
    result = crosscheck.check_implementation(
        "outside:fused_clipped_head",
        convention=mine,
        activation="relu",
        output_activation="softmax",
        loss="cross_entropy",
        cases=200,
        dtypes=("float64",),
        shrink=False,
    )
    assert result.ok, result.report()


@needs_frameworks
def test_a_one_class_clipped_cross_entropy_costs_the_clip_in_torch_as_in_jax():
    """On a one-class output softmax gives a = 1, clipped to 1 − 1e-7: C = −log(1 − 1e-7) in torch as in NumPy."""
    import torch

    clipped = counterparts.loss("cross_entropy", 1e-7)
    a = torch.ones((1, 2), dtype=torch.float64)
    expected = -np.log(1 - 1e-7)
    assert float(clipped.torch(a, a)) == pytest.approx(expected, rel=1e-9)
    assert float(np.sum(clipped.numpy_per_sample(np.ones((1, 2)), np.ones((1, 2))))) == pytest.approx(expected, rel=1e-9)


@needs_frameworks
@pytest.mark.parametrize("outputs_width", [1, 3])
def test_an_update_on_the_mean_over_elements_without_the_half_agrees_at_every_output_width(outputs_width):
    """A per-sample update on C_x = mean_j (a_j − y_j)² is stepped on its own cost at any output width (the scale
    was tested at n_L = 2 only, and a correct update at n_L = 3 was flagged n_L/2 too far)."""
    mine = crosscheck.Convention("layers", per_sample=True, cost="elements", half=False)
    result = crosscheck.check_implementation(
        "outside:per_sample_elements",
        convention=mine,
        update="outside:per_sample_elements_update",
        outputs=outputs_width,
        cases=30,
        dtypes=("float64",),
        shrink=False,
    )
    assert result.ok, result.report()
    assert result.steps > 0


@needs_frameworks
def test_one_oracle_alone_disagreeing_is_no_verdict_on_your_code(monkeypatch):
    """When torch alone departs and JAX agrees with your code, the summary says the oracles disagree with each
    other, never "your implementation disagrees", and no diagnosis blames an equation of yours."""
    sigmoid = counterparts.ACTIVATIONS["sigmoid"]
    off = dataclasses.replace(sigmoid, torch=lambda z: sigmoid.torch(z) * 1.01)  # a broken torch oracle
    monkeypatch.setitem(counterparts.ACTIVATIONS, "sigmoid", off)
    result = crosscheck.check_implementation(
        "examples.columns:backprop", cases=5, dtypes=("float64",), shrink=False, isolate=False
    )
    summary, report = result.summary(), result.report()
    assert not result.ok
    assert summary.startswith("No verdict on your implementation: the oracles disagree with each other"), summary
    assert "disagrees with the oracles" not in summary
    assert "Diagnosis" not in report and "look at" not in report, report
