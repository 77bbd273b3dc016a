"""Misbehaving implementations: whatever your code does in its own process (exit, crash, hang, fork,
patch the frameworks, take the signals, print, leave processes, return what is not gradients), the
verdict and the exit status stay the checker's: a report that says what happened, never "agrees"
for what was not judged and agreed, never a traceback (issue 34).

`ROWS` runs each misbehaviour of tests/misbehaving.py through the smallest check that decides it
(`check_implementation` on a few cases, in the child process it starts); `CLI_ROWS` runs the
command for what only the command shows (the exit status, import-time faults, the output files).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import misbehaving
import numpy as np
import pytest
from helpers import framework_available

import crosscheck
from crosscheck import isolation, marking

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.torch,
    pytest.mark.jax,
    pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="needs torch and jax"),
]


@dataclass(frozen=True)
class Row:
    """One misbehaviour: the function in tests/misbehaving.py, the verdict it must get, words its report
    must hold, the options of its check, and the seconds the whole check may take."""

    fn: str
    agrees: bool
    words: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    seconds: float = 60.0


HANG = {"time_limit": 1.0}
ROWS = [
    # an exception of any kind is your code's answer, named with its message
    Row("raises_value_error", False, ("raised ValueError: from your code",)),
    Row("raises_key_error", False, ("raised KeyError: 'from your code'",)),
    Row("raises_memory_error", False, ("raised MemoryError: from your code",)),
    Row("raises_recursion_error", False, ("raised RecursionError: from your code",)),
    Row("raises_keyboard_interrupt", False, ("raised KeyboardInterrupt: from your code",)),
    Row("raises_system_exit", False, ("raised SystemExit: from your code",)),
    Row("raises_generator_exit", False, ("raised GeneratorExit: from your code",)),
    Row("raises_cancelled", False, ("raised CancelledError: from your code",)),
    Row("raises_base_exception", False, ("raised Stop: from your code",)),
    Row("raises_unprintable", False, ("raised Unprintable: (its message could not be printed)",)),
    Row("exits_zero", False, ("raised SystemExit",)),
    Row("recursion", False, ("raised RecursionError",)),
    Row("prints_then_raises", False, ("raised ValueError: shapes do not align", "| epoch 1: loss nan", "| shapes [(")),
    # the process it runs in ends: a report naming the case, a fresh process for the next
    Row("os_exit_zero", False, ("exited with status 0 during this case", "did not finish this case")),
    Row("segfaults", False, ("was killed by signal SIGSEGV",)),
    Row("aborts", False, ("was killed by signal SIGABRT",)),
    Row("kills_itself", False, ("was killed by signal SIGKILL",)),
    Row("dies_between_calls", False, ("exited with status 0",)),
    Row("sends_itself_usr1", False, ("was killed by signal SIGUSR1",)),
    Row("allocates_without_end", False, ("MemoryError",), {"memory_limit": 1024.0}),
    Row("closes_every_descriptor", False, ("during this case", "did not finish this case")),
    Row("writes_on_every_descriptor", False, ("sent something other than its answer",)),
    Row("forks", False, ("an answer from another process (your code forked?)",)),
    # a hang costs one time limit per case, and the check stops after two: nothing is dropped unsaid
    Row("hangs", False, ("did not return within its time limit of 1 s", "2 cases did not finish", "cases not run"), HANG, 20),
    Row("spins", False, ("did not return within its time limit of 1 s", "2 cases did not finish"), HANG, 20),
    Row("catches_every_interrupt", False, ("did not return within its time limit of 1 s",), HANG, 20),
    Row("blocks_sigalrm_and_sleeps", False, ("did not return within its time limit of 1 s",), HANG, 20),
    Row("cancels_the_alarm_and_sleeps", False, ("did not return within its time limit of 1 s",), HANG, 20),
    Row("installs_handlers_and_sleeps", False, ("did not return within its time limit of 1 s",), HANG, 20),
    Row("slow_first_call_then_wrong", False, ("2 cases did not finish", "did not return within its time limit of 1 s"), HANG, 30),
    Row("hangs_on_wide_inputs", False, ("did not return within its time limit of 1 s",), HANG, 30),
    # what it does to its own process stays there: judged on its answers alone
    Row("slow_but_finishes", True),
    Row("sends_itself_sigint", True),
    Row("installs_handlers", True),
    Row("patches_the_frameworks", False, ("disagrees with the oracles",)),
    Row("patches_numpy", False, ("disagrees with the oracles", "Diagnosis")),
    Row("lowers_the_recursion_limit", True),
    Row("changes_directory", True),
    Row("closes_its_streams", True),
    Row("closes_descriptors_one_and_two", True),
    Row("wrong_and_exits_at_exit", False, ("disagrees with the oracles",)),
    Row("wrong_and_blocks_at_exit", False, ("disagrees with the oracles",), {}, 60),
    Row("replaces_the_checker", False, ("disagrees with the oracles",)),
    Row("leaves_a_thread", True),
    Row("forks_and_reaps", True),
    Row("starts_a_process", True, ("started", "process(es) that were still running", "stopped with it")),
    Row("prints_and_is_wrong", False, ("printed, during this case", "| my debug line: N =")),
    # answers that are not gradients
    Row("returns_none", False, ("returned NoneType; expected (weight_gradients, bias_gradients)",)),
    Row("returns_a_generator", False, ("returned generator",)),
    Row("returns_strings", False, ("must be a list of arrays, one per layer",)),
    Row("returns_a_ragged_list", False, ("NumPy cannot make an array of",)),
    Row("returns_a_tensor_that_needs_grad", False, ("Can't call numpy() on Tensor that requires grad",)),
    Row("returns_an_object_that_refuses", False, ("this object refuses to become an array",)),
    Row("returns_deep_nesting", False, ("nested deeper than",)),
    Row("returns_wrong_keys", False, ("returned a dict with keys ['grads', 'weights']",)),
    Row("returns_its_inputs", False, ("two readings of your code fit every probe",)),  # its inputs fit any layout
    Row("returns_float16", False, ("as float16 for a float64 case",)),
    Row("returns_objects", False, ("as object for a float64 case",)),
    Row("mutates_its_inputs", False, ("changed the weights[0] it was given",)),
    Row("random_beyond_rounding", False, ("differs from the first's on the same inputs beyond rounding",)),
    Row("accumulates", False, ("gradients accumulate across calls",)),
    # answers in other forms than the usual, all gradients
    Row("returns_plain_tensors", True),
    Row("returns_an_ordered_dict", True),
    Row("returns_gradients", True),
    Row("returns_a_one_by_one_loss", True),
    # issue 40's edges: a non-text key is never the key it prints as; byte order is the same numbers; too large
    # is said as such; a print never fails your code (it goes down a pipe the checker drains)
    Row("wrong_under_a_key_that_prints_as_weights", False, ("returned a dict with keys", "a key of type _PrintsAsWeights")),
    Row("returns_big_endian", True),
    Row("returns_too_much", False, ("bytes, more than the 268,435,456 one answer may take",)),
    Row("prints_where_no_file_can_grow", True),
    # the update, beside the gradients
    Row(
        "correct",
        False,
        ("your implementation's update did not return within its time limit of 1 s",),
        {**HANG, "update": "update_hangs"},
        30,
    ),
    Row("correct", False, ("update ran in exited with status 7",), {"update": "update_dies"}),
    Row("correct", False, ("update returned W^2 of shape", "in your layout"), {"update": "update_wrong_shape"}),
]


def _ids(row: Row) -> str:
    update = row.options.get("update")
    return f"{row.fn}+{update}" if update else row.fn


QUICK = {
    "raises_generator_exit",
    "os_exit_zero",
    "hangs",
    "patches_the_frameworks",
    "returns_a_generator",
    "forks",
    "starts_a_process",
}
"""The rows the quick (dev) profile runs, one of each kind; the ci and thorough profiles run every row."""


@pytest.mark.parametrize(
    "row", [pytest.param(r, marks=[] if r.fn in QUICK else [pytest.mark.slow]) for r in ROWS], ids=[_ids(r) for r in ROWS]
)
def test_a_misbehaving_implementation_gets_the_verdict_its_answers_earn(row):
    """Each misbehaviour gets the verdict its answers earn (agrees only when every case asked was judged and agreed),
    a report in words that say what your code did, every case asked accounted for, in bounded time, and under
    `grade` full marks for its gradients (and update) exactly when it agrees."""
    options = dict(row.options)
    if "update" in options:
        options["update"] = getattr(misbehaving, options["update"])
    start = time.perf_counter()
    result = crosscheck.check_implementation(getattr(misbehaving, row.fn), cases=6, dtypes=("float64",), shrink=False, **options)
    took = time.perf_counter() - start
    report = result.report()
    assert result.ok is row.agrees, report
    for words in row.words:
        assert words in report, f"{words!r} not in:\n{report}"
    counts = result.counts
    assert counts.checked + counts.unjudged + counts.not_finished + counts.not_run == counts.total == 6, counts
    if not row.agrees:
        assert "agrees with torch" not in result.summary(), result.summary()
    assert took < row.seconds, f"the check took {took:.1f} s"
    assert result.as_dict()["isolated"] is True
    # Under `grade` the same result scores: every gradient test (and the update's) passes only for an agreeing row.
    chosen = marking.assignment({}, {"update": options["update"].__name__} if "update" in options else {})
    marks = {m["name"]: m["status"] for m in marking.scored(result, chosen)}
    graded = {t for t in chosen.tests if t != "cost"}
    assert ({t for t in graded if marks[t] == "passed"} == graded) is row.agrees, marks


def test_a_table_of_at_least_sixty_misbehaviours():
    """The table holds 60 misbehaviours or more (the issue's bar), each a distinct function or update."""
    assert len({_ids(r) for r in ROWS}) >= 60


def test_your_own_ctrl_c_stops_the_check_and_its_process():
    """A Ctrl-C in your own process (the one that called check_implementation) while your code runs in its child
    stops the check with KeyboardInterrupt within a second, and the child is killed with it."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    timer = threading.Timer(3.0, os.kill, args=(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            crosscheck.check_implementation(misbehaving.installs_handlers_and_sleeps, cases=2, time_limit=30)
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 3.0 + 1.0
    assert not isolation.stops.CHILDREN, "the child outlived the check"


def test_a_ctrl_c_swallowed_where_it_landed_still_stops_the_check():
    """A Ctrl-C whose KeyboardInterrupt lands in code that drops it (here the check's progress callback; JAX's gc
    callback does the same) still stops the check with KeyboardInterrupt within a second, and the child is killed."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    fired: list[float] = []

    def swallowing(stage: str, done: int, total: int, **counts: int) -> None:
        if not fired:
            fired.append(time.perf_counter())
            with contextlib.suppress(KeyboardInterrupt):  # the handler runs here, and its KeyboardInterrupt goes nowhere
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)

    with pytest.raises(KeyboardInterrupt):
        crosscheck.check_implementation(misbehaving.installs_handlers_and_sleeps, cases=2, time_limit=30, progress=swallowing)
    assert fired, "the check never called its progress callback: nothing was interrupted"
    assert time.perf_counter() - fired[0] < 1.0
    assert not isolation.stops.CHILDREN, "the child outlived the check"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "the check left its Ctrl-C handler behind"


@pytest.mark.slow  # it waits out the send's timeout: 7 s
def test_a_checker_busy_between_calls_past_the_time_limit_finds_your_process_alive():
    """The checker busy between two batches for longer than the time limit and the send's margin (JAX compiling the
    oracles for new shapes does this on diverse cases) finds your idle process alive and its answers judged: the
    send's timeout on the socket never reads as a closed channel. It did: a correct implementation got 2 false
    alarms ("did not finish", "after -1.2 s") in 2,000 diverse cases."""
    rng = np.random.default_rng(0)
    w, b = [rng.standard_normal((3, 2))], [rng.standard_normal((3, 1))]
    args = (w, b, rng.standard_normal((2, 4)), rng.standard_normal((3, 4)))
    runner = isolation.Runner({"backward": isolation.shipped(misbehaving.correct)}, isolation.Limits(seconds=0.5))
    try:
        first = runner.run([[("backward", args)]])
        time.sleep(0.5 + 5 + 1)  # past the socket timeout the send sets (the limit + 5 s)
        second = runner.run([[("backward", args)]])
    finally:
        runner.close()
    assert first[0][0].finished and second[0][0].finished, (first, second)
    assert second[0][0].seconds >= 0


def test_a_function_that_cannot_be_shipped_is_refused_naming_isolate_false():
    """A function closing over what cannot be pickled (a lock) is refused with a message naming isolate=False, and
    runs with it, the result saying it ran in this process."""
    lock = threading.Lock()

    def backprop(w, b, x, y):
        with lock:
            return misbehaving.correct(w, b, x, y)

    with pytest.raises(TypeError, match=r"cannot be sent to a child process .* isolate=False"):
        crosscheck.check_implementation(backprop, cases=2)
    here = crosscheck.check_implementation(backprop, cases=2, isolate=False)
    assert here.ok and "in this process (isolate=False)" in here.summary() and here.as_dict()["isolated"] is False


def test_a_function_defined_here_is_shipped_by_value():
    """A function defined in a test (or a notebook) goes to the child by value (cloudpickle) and is judged there."""

    def backprop(w, b, x, y):
        return misbehaving.correct(w, b, x, y)

    result = crosscheck.check_implementation(backprop, cases=3)
    assert result.ok and "in a process of its own" in result.summary()


# --- the command: exit statuses, import-time faults, output files ------------------------------
def _cli(tmp_path: Path, source: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    (tmp_path / "theirs.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), str(tmp_path)])}
    return subprocess.run(
        [sys.executable, "-m", "crosscheck", "verify", "theirs:backprop", "--cases", "4", "--dtypes", "float64", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


WRONG = "from misbehaving import wrong as backprop\n"
CORRECT = "from misbehaving import correct as backprop\n"
CLI_ROWS = [
    # (id, module source, extra args, exit status, words in stdout + stderr)
    (
        "exits at import",
        "import sys\ndef backprop(w, b, x, y):\n    return None\nsys.exit(0)\n",
        (),
        2,
        "exited (SystemExit, code 0)",
    ),
    (
        "script without a guard",
        "import sys\ndef main():\n    return 3\nsys.exit(main())\n",
        (),
        2,
        "needs an `if __name__ == '__main__':` guard",
    ),
    ("os._exit at import", "import os\nos._exit(0)\n", (), 2, "while importing it"),
    (
        "raises at import",
        "raise GeneratorExit('at import')\n",
        (),
        2,
        "raised GeneratorExit while it was being imported: at import",
    ),
    ("cancelled at import", "import asyncio\nraise asyncio.CancelledError('at import')\n", (), 2, "raised CancelledError"),
    (
        "BaseException at import",
        "class Stop(BaseException):\n    pass\nraise Stop('mine')\n",
        (),
        2,
        "raised Stop while it was being imported: mine",
    ),
    ("missing dependency", "import not_a_module_anywhere\n", (), 2, "raised ModuleNotFoundError"),
    ("no such function", "x = 1\n", (), 2, "has no attribute 'backprop'"),
    ("not callable", "backprop = 42\n", (), 2, "is not callable"),
    ("atexit os._exit(0) on wrong code", WRONG + "import atexit, os\natexit.register(os._exit, 0)\n", (), 1, "disagrees"),
    ("atexit that blocks", WRONG + "import atexit, time\natexit.register(time.sleep, 3600)\n", (), 1, "disagrees"),
    (
        "frameworks patched at import",
        WRONG.replace("wrong", "patches_the_frameworks") + "import torch, jax\ntorch.sigmoid = jax.nn.sigmoid = lambda z: z\n",
        (),
        1,
        "disagrees",
    ),
    ("a hang, default cases", CORRECT.replace("correct", "hangs"), ("--time-limit", "1"), 1, "2 cases did not finish"),
    ("correct code", CORRECT, ("--json", "out.json"), 0, "agrees"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("source", "args", "status", "words"), [r[1:] for r in CLI_ROWS], ids=[r[0] for r in CLI_ROWS])
def test_verify_exits_with_the_checkers_status_whatever_your_module_does(tmp_path, source, args, status, words):
    """`verify` exits 0 only when every case asked was judged and agreed, 1 when your code disagrees or did not
    finish, 2 when it could not be checked (your module does not load): never a traceback, never your code's status."""
    start = time.perf_counter()
    done = _cli(tmp_path, source, *args)
    shown = done.stdout + done.stderr
    assert done.returncode == status, shown
    assert words in shown, shown
    assert "Traceback" not in shown
    assert time.perf_counter() - start < 120


@pytest.mark.slow
def test_a_result_your_code_writes_at_the_output_path_never_stands(tmp_path):
    """Your code writes {"ok": true} where --json points, at import (then fails to load) or during its calls (and is
    wrong): the file left there is the checker's verdict, or none."""
    loads_badly = "from pathlib import Path\nPath('out.json').write_text('{\"ok\": true}')\nraise ImportError('no')\n"
    done = _cli(tmp_path, loads_badly, "--json", "out.json")
    assert done.returncode == 2 and not (tmp_path / "out.json").exists(), done.stdout + done.stderr
    done = _cli(tmp_path, "from misbehaving import writes_a_result as backprop\n", "--json", "out.json")
    assert done.returncode == 1, done.stdout + done.stderr
    assert json.loads((tmp_path / "out.json").read_text())["ok"] is False


@pytest.mark.slow
def test_an_output_that_cannot_be_written_at_the_end_is_one_line_and_exit_2(tmp_path):
    """Your code replaces the output's folder with a file during the run: the verdict is printed, then one line names
    the file and the reason, exit 2, no traceback."""
    source = (
        "import os, shutil\nfrom misbehaving import correct\n"
        "def backprop(w, b, x, y):\n    if os.path.isdir('out'):\n        shutil.rmtree('out')\n"
        "        open('out', 'w').close()\n    return correct(w, b, x, y)\n"
    )
    (tmp_path / "out").mkdir()
    done = _cli(tmp_path, source, "--json", "out/result.json")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "agrees" in done.stdout and "could not write" in done.stderr and "out/result.json" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--json", "same.json", "--markdown", "same.json"), "--json and --markdown name the same file"),
        (("--json", "x" * 300 + ".json"), "longer than the 255 its file system allows"),
        (("--json", "."), "is a folder, not a file"),
    ],
    ids=["one file twice", "a name too long", "a folder"],
)
def test_an_output_path_that_cannot_be_written_is_refused_before_any_work(tmp_path, args, words):
    """Two options naming one file, a name too long for the file system, or a folder is exit 2 at parse time."""
    done = _cli(tmp_path, CORRECT, *args)
    assert done.returncode == 2 and words in done.stderr, done.stderr


@pytest.mark.slow
def test_special_files_are_written_in_place_and_never_replaced(tmp_path):
    """A FIFO at the output path stays a FIFO (its reader gets the JSON); /dev/null stays a device; --json /dev/stdout
    with stdout redirected keeps the printed report and adds the JSON after it."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    done = _cli(tmp_path, CORRECT, "--json", str(fifo))
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert fifo.is_fifo() and json.loads(received[0])["ok"] is True
    done = _cli(tmp_path, CORRECT, "--json", os.devnull)
    assert done.returncode == 0 and Path(os.devnull).is_char_device()
    redirected = tmp_path / "stdout.txt"
    with redirected.open("w") as out:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), str(tmp_path)])}
        command = [sys.executable, "-m", "crosscheck", "verify", "theirs:backprop", "--cases", "3", "--json", "/dev/stdout"]
        assert subprocess.run(command, cwd=tmp_path, env=env, stdout=out, timeout=300).returncode == 0
    text = redirected.read_text()
    assert text.startswith("your implementation agrees") and '"ok": true' in text


@pytest.mark.slow
def test_a_fifo_nobody_reads_is_one_line_and_exit_2(tmp_path):
    """A FIFO with no reader is not waited on forever: one line, exit 2, and it stays a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done = _cli(tmp_path, CORRECT, "--json", str(fifo))
    assert done.returncode == 2 and "no process is reading the FIFO" in done.stderr, done.stderr
    assert fifo.is_fifo()


def test_a_module_file_given_for_a_module_gets_the_module_name():
    """`verify m.py:f` is refused with the form that works, m:f."""
    from crosscheck.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["verify", "theirs.py:backprop"])
    assert stopped.value.code == 2
