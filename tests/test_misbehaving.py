"""Misbehaving implementations: whatever your code does (exit, raise, hang, leave a thread,
return the wrong kind of object, mutate or alias its inputs, answer differently each call),
the result is a report that says what happened, never 'agrees', never a traceback (issue 26)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import people
import pytest
from helpers import framework_available

import crosscheck

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.torch,
    pytest.mark.jax,
    pytest.mark.skipif(not (framework_available("torch") and framework_available("jax")), reason="needs torch and jax"),
]
correct = people.columns_net("sigmoid_tanh")


def _raising(kind):
    def backprop(w, b, x, y):
        raise kind("from your code")

    backprop.__name__ = f"raises_{kind.__name__}"
    return backprop


def _hangs(w, b, x, y):
    while True:
        time.sleep(0.01)


def _leaves_a_thread(w, b, x, y):
    threading.Thread(target=time.sleep, args=(2,), name="left-behind").start()
    return correct(w, b, x, y)


def _returns(value):
    def backprop(w, b, x, y):
        return value(w, b, x, y)

    return backprop


def _tensor_that_needs_grad(w, b, x, y):
    import torch

    gW, gb = correct(w, b, x, y)
    return [torch.tensor(g, requires_grad=True) for g in gW], gb


def _mutates(w, b, x, y):
    out = correct(w, b, x, y)
    w[0] *= 2
    return out


def _aliases_its_inputs(w, b, x, y):
    return w, b  # the parameters themselves, not gradients


def _random_beyond_rounding(w, b, x, y):
    gW, gb = correct(w, b, x, y)
    return [g + 1e-6 * np.random.default_rng().standard_normal(g.shape).astype(g.dtype) for g in gW], gb


TABLE = [
    (_raising(ValueError), "raised ValueError: from your code"),
    (_raising(KeyError), "raised KeyError: 'from your code'"),
    (_raising(MemoryError), "raised MemoryError: from your code"),
    (_raising(RecursionError), "raised RecursionError: from your code"),
    (_raising(KeyboardInterrupt), "raised KeyboardInterrupt"),
    (_raising(SystemExit), "raised SystemExit: from your code"),
    (_hangs, "did not return within its time limit of 0.5 s"),
    (_leaves_a_thread, "started a thread ('left-behind', 1 in all) and left it running"),
    (_returns(lambda w, b, x, y: None), "returned NoneType; expected (weight_gradients, bias_gradients)"),
    (_returns(lambda w, b, x, y: (g for g in correct(w, b, x, y))), "returned generator"),
    (_returns(lambda w, b, x, y: ("W", "b")), "must be a list of arrays, one per layer"),
    (_returns(lambda w, b, x, y: ([[[1.0], [1.0, 2.0]]] * len(w), correct(w, b, x, y)[1])), "NumPy cannot make an array of"),
    (_tensor_that_needs_grad, "Can't call numpy() on Tensor that requires grad"),
    (_returns(lambda w, b, x, y: {"weights": [], "grads": []}), "returned a dict with keys ['grads', 'weights']"),
    (_mutates, "changed the weights[0] it was given"),
    (_aliases_its_inputs, "disagree"),
    (_random_beyond_rounding, "differs from the first's on the same inputs beyond rounding"),
]


@pytest.mark.parametrize(
    ("fn", "words"), TABLE, ids=[fn.__name__ if fn.__name__ != "backprop" else words[:30] for fn, words in TABLE]
)
def test_a_misbehaving_implementation_gets_a_report_never_agrees(fn, words):
    """Each misbehaviour is reported in words that say what your code did, with ok False."""
    result = crosscheck.check_implementation(fn, cases=5, shrink=False, time_limit=0.5)
    assert not result.ok
    assert words in result.report(), result.report()
    assert "agrees with torch and jax on all" not in result.summary()


def _interrupted(w, b, x, y):
    os.kill(os.getpid(), signal.SIGINT)  # as the terminal sends it: to the process
    time.sleep(1)
    return correct(w, b, x, y)


def _swallows_the_interrupt(w, b, x, y):
    try:
        signal.raise_signal(signal.SIGINT)  # to this thread: the handler runs inside the try
        time.sleep(1)
    except KeyboardInterrupt:
        pass
    return correct(w, b, x, y)


@pytest.mark.parametrize("fn", [_interrupted, _swallows_the_interrupt], ids=["propagated", "swallowed"])
def test_a_ctrl_c_from_the_terminal_is_not_your_codes(fn):
    """A SIGINT that arrives while your code runs stops the check (KeyboardInterrupt), it is not reported as your
    code's, even when its KeyboardInterrupt is caught on the way out (by your code, or by a gc callback running at
    that moment)."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    with pytest.raises(KeyboardInterrupt):
        crosscheck.check_implementation(fn, cases=2, shrink=False)


def test_a_time_limit_your_code_catches_fires_again():
    """A call that catches the first expiry of its time limit (a bare except) and goes on is still stopped and
    reported, a moment later, not when it chooses to return."""

    def catches_the_first(w, b, x, y):
        try:
            while True:
                time.sleep(0.01)
        except BaseException:
            pass
        deadline = time.monotonic() + 5  # without a second shot, the call returns a correct answer after 5 s
        while time.monotonic() < deadline:
            time.sleep(0.01)
        return correct(w, b, x, y)

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("the timer is a signal in the main thread only")
    start = time.perf_counter()
    result = crosscheck.check_implementation(catches_the_first, cases=2, shrink=False, time_limit=0.3)
    assert not result.ok
    assert "did not return within its time limit of 0.3 s" in result.report(), result.report()
    assert time.perf_counter() - start < 4.5


def test_a_check_leaves_your_signal_handlers_as_it_found_them_and_chains_to_them():
    """check_implementation installs its SIGINT and SIGALRM handlers once for the whole check, puts yours
    back after, and a SIGINT that arrives between calls of your code goes to your own handler."""
    from crosscheck import supervise

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    seen = []

    def mine(signum, frame):
        seen.append(signum)

    before = signal.signal(signal.SIGINT, mine), signal.getsignal(signal.SIGALRM)
    try:
        with supervise.watching():
            os.kill(os.getpid(), signal.SIGINT)  # between calls: not your code's, not the terminal's stop
            time.sleep(0.05)
            crosscheck.check_implementation(correct, cases=3, shrink=False)
        assert signal.getsignal(signal.SIGINT) is mine and signal.getsignal(signal.SIGALRM) == before[1]
        assert seen == [signal.SIGINT], seen
    finally:
        signal.signal(signal.SIGINT, before[0])


def test_a_hang_stops_the_sweep_at_the_first_stuck_call():
    """A hanging implementation costs a few time limits, not one per case: the sweep stops at the first stuck call."""
    start = time.perf_counter()
    result = crosscheck.check_implementation(_hangs, cases=1000, shrink=True, time_limit=0.3)
    assert not result.ok and time.perf_counter() - start < 10
    assert sum(result.judged.values()) == 1


def test_a_thread_left_behind_is_reported_when_it_takes_the_ident_of_one_that_ended():
    """A thread your code leaves running is reported even when a thread that was alive before the call ends during
    it, so that the new one may be given its ident (threads are told apart as objects, not by ident)."""
    previous: list[tuple[threading.Thread, threading.Event]] = []

    def waiting_thread() -> tuple[threading.Thread, threading.Event]:
        release = threading.Event()
        thread = threading.Thread(target=release.wait, args=(30,), name="left-behind")
        thread.start()
        return thread, release

    def hands_over(w, b, x, y):
        thread, release = previous.pop()
        release.set()
        thread.join()  # the thread alive before this call has ended: its ident is free
        previous.append(waiting_thread())
        return correct(w, b, x, y)

    previous.append(waiting_thread())
    try:
        result = crosscheck.check_implementation(hands_over, cases=3, shrink=False)
    finally:
        for _, release in previous:
            release.set()
    assert not result.ok
    assert "started a thread ('left-behind', 1 in all) and left it running" in result.report(), result.report()


def test_an_update_that_hangs_is_reported():
    """An update that never returns is reported beside the gradient verdict, named as the update's."""

    def update(w, b, x, y, eta):
        _hangs(w, b, x, y)

    result = crosscheck.check_implementation(correct, update=update, cases=5, time_limit=0.3)
    assert not result.ok and result.failure is None
    assert "your implementation's update did not return within its time limit of 0.3 s" in result.report()


def _cli(tmp_path, source, *args):
    (tmp_path / "theirs.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    return subprocess.run(
        [sys.executable, "-m", "crosscheck", "verify", "theirs:backprop", "--cases", "5", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("    while True:\n        pass\n", "did not return within its time limit of 1 s"),
        ("    import threading, time\n    threading.Thread(target=time.sleep, args=(600,)).start()\n", "left it running"),
        ("    return [[[1.0], [1.0, 2.0]]], []\n", "NumPy cannot make an array of"),
        ("    import sys\n    sys.stdout.close()\n    return None\n", "returned NoneType"),
        ("    import os\n    os.chdir('/')\n    return None\n", "returned NoneType"),
    ],
    ids=["hangs", "thread", "ragged", "closes stdout", "chdir"],
)
def test_verify_on_misbehaving_code_exits_1_with_the_report(tmp_path, body, words):
    """`verify` on code that hangs, leaves a thread, returns a ragged list, closes stdout or changes directory exits 1
    with the report (never 2, the usage code, nor a traceback), and --json lands where it was asked."""
    stale = tmp_path / "out.json"
    stale.write_text("{}")
    start = time.perf_counter()
    done = _cli(tmp_path, f"def backprop(w, b, x, y):\n{body}", "--time-limit", "1", "--json", "out.json")
    assert done.returncode == 1, done.stdout + done.stderr
    assert words in done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert time.perf_counter() - start < 120
    assert stale.is_file() and stale.read_text() != "{}"  # the new result, written at the path resolved before the run


@pytest.mark.slow
def test_a_stale_json_is_removed_when_the_run_cannot_check(tmp_path):
    """An earlier run's --json is removed before a run that then stops with a usage error: no file looks like its result."""
    stale = tmp_path / "out.json"
    stale.write_text('{"ok": true}')
    done = _cli(tmp_path, "def backprop(w, b, x, y):\n    return None\n", "--clip", "0.01", "--json", "out.json")
    assert done.returncode == 2 and "clips a log loss's argument" in done.stderr
    assert not stale.exists()


@pytest.mark.slow
def test_a_call_stuck_in_native_code_is_reported_and_exits_1(tmp_path):
    """A call the timer cannot interrupt is reported by the watchdog GRACE s past its limit: exit 1 with the report,
    no result file, no traceback, long before the call would have returned. The call blocks SIGALRM and sleeps 60 s:
    to the timer that is what one long native call is, on any machine (a big matmul is one only on a slow one)."""
    from crosscheck import supervise

    body = "    import signal, time\n    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n    time.sleep(60)\n"
    stale = tmp_path / "out.json"
    stale.write_text('{"ok": true}')
    start = time.perf_counter()
    done = _cli(tmp_path, f"def backprop(w, b, x, y):\n{body}", "--time-limit", "0.5", "--json", "out.json")
    took = time.perf_counter() - start
    assert done.returncode == 1, done.stdout + done.stderr
    assert "did not return within its time limit of 0.5 s" in done.stdout and "cannot interrupt it" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert not stale.exists()
    assert took < 0.5 + supervise.GRACE + 30, f"the watchdog took {took:.0f} s"
