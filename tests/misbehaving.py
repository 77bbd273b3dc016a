"""Implementations that misbehave, as a hostile or careless user's code would: they exit, crash, hang,
fork, patch the frameworks, take signals, print, leave processes and threads, return what is not
gradients. Written here, for tests/test_misbehaving.py; each runs in the child process the check
starts (this module is imported there by name), never in the test's own.

`correct` is a correct backprop in the derivation's layout; `wrong` forgets the mean's 1/N (every
gradient N times too large), the slip a sweep must catch however the code misbehaves besides.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from examples.columns import backprop as correct


def wrong(w, b, x, y):
    """The mean's 1/N forgotten: every gradient N times the true one (at N = 1 it agrees; the sweep draws N up to 8)."""
    N = x.shape[1]
    g = correct(w, b, x, y)
    return {"weights": [N * W for W in g["weights"]], "biases": [N * v for v in g["biases"]]}


def _sigmoid_wrong(z):
    return 1 / (1 + np.exp(-2 * z))  # a "fast sigmoid" of another slope


# --- raises ------------------------------------------------------------------------------------
class Stop(BaseException):
    """A user's BaseException subclass (not an Exception)."""


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")


def _raising(kind, message="from your code"):
    def backprop(w, b, x, y):
        raise kind(message)

    backprop.__name__ = backprop.__qualname__ = f"raises_{kind.__name__}"
    return backprop


raises_value_error = _raising(ValueError)
raises_key_error = _raising(KeyError)
raises_memory_error = _raising(MemoryError)
raises_recursion_error = _raising(RecursionError)
raises_keyboard_interrupt = _raising(KeyboardInterrupt)
raises_system_exit = _raising(SystemExit)
raises_generator_exit = _raising(GeneratorExit)
raises_cancelled = _raising(asyncio.CancelledError)
raises_base_exception = _raising(Stop)
raises_unprintable = _raising(Unprintable)


def exits_zero(w, b, x, y):
    sys.exit(0)


def recursion(w, b, x, y):
    return recursion(w, b, x, y)


# --- ends its process --------------------------------------------------------------------------
def os_exit_zero(w, b, x, y):
    os._exit(0)


def segfaults(w, b, x, y):
    ctypes.string_at(0)


def aborts(w, b, x, y):
    os.abort()


def dies_between_calls(w, b, x, y):
    """Answers, then its process dies before the next call arrives (a thread's os._exit)."""
    threading.Timer(0.001, os._exit, args=(0,)).start()
    return correct(w, b, x, y)


def kills_itself(w, b, x, y):
    os.kill(os.getpid(), signal.SIGKILL)


def sends_itself_usr1(w, b, x, y):
    os.kill(os.getpid(), signal.SIGUSR1)
    return correct(w, b, x, y)


def sends_itself_sigint(w, b, x, y):
    """A Ctrl-C to its own process: ignored there (the checker owns SIGINT), so the answer stands."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)
    return correct(w, b, x, y)


def allocates_without_end(w, b, x, y):
    blocks = []
    while True:
        blocks.append(np.ones(1 << 24))  # 128 MiB at a time, touched


def closes_every_descriptor(w, b, x, y):
    os.closerange(3, 4096)
    return correct(w, b, x, y)


def writes_on_every_descriptor(w, b, x, y):
    for fd in range(3, 64):
        with contextlib.suppress(OSError):
            os.write(fd, b"\x20\x00\x00\x00\x00\x00\x00\x00" + b"not an answer" * 4)
    return correct(w, b, x, y)


def forks(w, b, x, y):
    os.fork()  # both processes answer
    return correct(w, b, x, y)


def forks_and_reaps(w, b, x, y):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return correct(w, b, x, y)


def starts_a_process(w, b, x, y):
    subprocess.Popen(["sleep", "600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return correct(w, b, x, y)


# --- time --------------------------------------------------------------------------------------
def hangs(w, b, x, y):
    while True:
        time.sleep(0.01)


def spins(w, b, x, y):
    while True:
        pass


def catches_every_interrupt(w, b, x, y):
    while True:
        with contextlib.suppress(BaseException):
            time.sleep(0.01)


def blocks_sigalrm_and_sleeps(w, b, x, y):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGINT, signal.SIGTERM})
    time.sleep(60)


def cancels_the_alarm_and_sleeps(w, b, x, y):
    signal.alarm(0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    time.sleep(25)
    return correct(w, b, x, y)


_SLOW = [True]


def slow_first_call_then_wrong(w, b, x, y):
    """A JIT-compiled function's shape: its first call in a process is slow, then it is fast (and wrong)."""
    if _SLOW[0]:
        _SLOW[0] = False
        time.sleep(3)
    return wrong(w, b, x, y)


def slow_but_finishes(w, b, x, y):
    time.sleep(0.05)
    return correct(w, b, x, y)


def hangs_on_wide_inputs(w, b, x, y):
    """Hangs only where the input layer is wider than 4: a hang on some shapes, an answer on the others."""
    if x.shape[0] > 4:
        while True:
            time.sleep(0.01)
    return correct(w, b, x, y)


# --- takes signals, handlers and the process's state -----------------------------------------
def installs_handlers(w, b, x, y):
    """A training loop's "graceful stop": its own SIGINT and SIGTERM handlers, and SIGALRM ignored."""
    signal.signal(signal.SIGINT, lambda *a: None)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    return correct(w, b, x, y)


def installs_handlers_and_sleeps(w, b, x, y):
    installs_handlers(w, b, x, y)
    time.sleep(3600)


def patches_the_frameworks(w, b, x, y):
    """A wrong σ used consistently, with torch's and JAX's sigmoids patched to the same σ."""
    import jax
    import torch

    torch.sigmoid = _sigmoid_wrong
    torch.nn.functional.sigmoid = _sigmoid_wrong
    jax.nn.sigmoid = _sigmoid_wrong
    return _with_sigma(w, b, x, y, _sigmoid_wrong)


_REAL_EXP = np.exp


def patches_numpy(w, b, x, y):
    """np.exp replaced for the whole process (by one of another slope), and used."""
    np.exp = lambda z: _REAL_EXP(2 * z)
    return correct(w, b, x, y)


def _with_sigma(w, b, x, y, sigma):
    activations, zs = [x], []
    for W, c in zip(w, b):
        zs.append(W @ activations[-1] + c)
        activations.append(sigma(zs[-1]))
    N = x.shape[1]
    a = activations[-1]
    delta = (a - y) / N * a * (1 - a)
    deltas = [delta]
    for l in range(len(w) - 1, 0, -1):
        delta = (w[l].T @ delta) * activations[l] * (1 - activations[l])
        deltas.insert(0, delta)
    return [d @ a.T for d, a in zip(deltas, activations[:-1])], [d.sum(axis=1, keepdims=True) for d in deltas]


def lowers_the_recursion_limit(w, b, x, y):
    sys.setrecursionlimit(120)
    return correct(w, b, x, y)


def changes_directory(w, b, x, y):
    os.chdir("/")
    return correct(w, b, x, y)


def closes_its_streams(w, b, x, y):
    sys.stdout.close()
    sys.stderr.close()
    return correct(w, b, x, y)


def closes_descriptors_one_and_two(w, b, x, y):
    for fd in (1, 2):
        with contextlib.suppress(OSError):  # closed by an earlier call
            os.close(fd)
    return correct(w, b, x, y)


def wrong_and_exits_at_exit(w, b, x, y):
    atexit.register(os._exit, 0)
    return wrong(w, b, x, y)


def wrong_and_blocks_at_exit(w, b, x, y):
    atexit.register(time.sleep, 3600)
    return wrong(w, b, x, y)


def replaces_the_checker(w, b, x, y):
    """Reaches into the child's own modules: what it replaces there is not the checker's."""
    for name in list(sys.modules):
        if name.startswith("crosscheck"):
            sys.modules[name] = None  # type: ignore[assignment]
    return wrong(w, b, x, y)


def leaves_a_thread(w, b, x, y):
    threading.Thread(target=time.sleep, args=(600,), name="left-behind").start()
    return correct(w, b, x, y)


def prints_then_raises(w, b, x, y):
    print("epoch 1: loss nan")
    print("shapes", [W.shape for W in w], file=sys.stderr)
    raise ValueError("shapes do not align")


def prints_and_is_wrong(w, b, x, y):
    print("my debug line: N =", x.shape[1])
    return wrong(w, b, x, y)


def writes_a_result(w, b, x, y):
    """Writes {"ok": true} where the checker was asked to write its result (its working directory's out.json)."""
    Path("out.json").write_text('{"ok": true}')
    return wrong(w, b, x, y)


# --- returns what is not gradients -------------------------------------------------------------
def returns_none(w, b, x, y):
    return None


def returns_a_generator(w, b, x, y):
    return (g for g in correct(w, b, x, y))


def returns_strings(w, b, x, y):
    return ("W", "b")


def returns_a_ragged_list(w, b, x, y):
    return [[[1.0], [1.0, 2.0]]] * len(w), correct(w, b, x, y)["biases"]


def returns_a_tensor_that_needs_grad(w, b, x, y):
    import torch

    g = correct(w, b, x, y)
    return [torch.tensor(W, requires_grad=True) for W in g["weights"]], g["biases"]


def returns_plain_tensors(w, b, x, y):
    import torch

    g = correct(w, b, x, y)
    return {"weights": [torch.from_numpy(W) for W in g["weights"]], "biases": [torch.from_numpy(v) for v in g["biases"]]}


def returns_wrong_keys(w, b, x, y):
    return {"weights": [], "grads": []}


def returns_its_inputs(w, b, x, y):
    return w, b


def returns_float16(w, b, x, y):
    g = correct(w, b, x, y)
    return [W.astype(np.float16) for W in g["weights"]], g["biases"]


def returns_objects(w, b, x, y):
    g = correct(w, b, x, y)
    return [W.astype(object) for W in g["weights"]], g["biases"]


class _Refuses:
    def __array__(self, *args, **kwargs):
        raise RuntimeError("this object refuses to become an array")


def returns_an_object_that_refuses(w, b, x, y):
    return [_Refuses() for _ in w], correct(w, b, x, y)["biases"]


def returns_deep_nesting(w, b, x, y):
    deep: list = []
    for _ in range(100):
        deep = [deep]
    return deep, correct(w, b, x, y)["biases"]


def returns_an_ordered_dict(w, b, x, y):
    return OrderedDict(correct(w, b, x, y))


def returns_gradients(w, b, x, y):
    from reference import Gradients

    g = correct(w, b, x, y)
    return Gradients(loss=g["loss"], deltas=g["deltas"], weights=g["weights"], biases=g["biases"])


def returns_a_one_by_one_loss(w, b, x, y):
    g = correct(w, b, x, y)
    return {**g, "loss": np.array([[g["loss"]]])}


def mutates_its_inputs(w, b, x, y):
    out = correct(w, b, x, y)
    w[0] *= 2
    return out


_CALLS = [0]


def random_beyond_rounding(w, b, x, y):
    g = correct(w, b, x, y)
    return [W + 1e-6 * np.random.default_rng().standard_normal(W.shape) for W in g["weights"]], g["biases"]


def accumulates(w, b, x, y):
    _CALLS[0] += 1
    g = correct(w, b, x, y)
    return [_CALLS[0] * W for W in g["weights"]], g["biases"]


# --- updates -----------------------------------------------------------------------------------
def update_hangs(w, b, x, y, eta):
    hangs(w, b, x, y)


def update_dies(w, b, x, y, eta):
    os._exit(7)


def update_wrong_shape(w, b, x, y, eta):
    return [W.T for W in w], b


# --- the edges of issue 40: each a correct answer the old boundary misread, or a wrong one it passed ----
class _PrintsAsWeights:
    """A dict key that is not text but prints as 'weights'."""

    def __str__(self):
        return "weights"

    def __repr__(self):
        return "weights"


def wrong_under_a_key_that_prints_as_weights(w, b, x, y):
    """The true gradients under a non-text key printing as "weights", N-times-wrong ones under the real key."""
    g = wrong(w, b, x, y)
    return {"weights": g["weights"], "biases": g["biases"], _PrintsAsWeights(): correct(w, b, x, y)["weights"]}


def returns_big_endian(w, b, x, y):
    """Correct gradients in big-endian byte order (">f8", ">f4"): the same numbers."""
    g = correct(w, b, x, y)
    swap = lambda a: a.astype(a.dtype.newbyteorder(">"))  # noqa: E731
    return {"weights": [swap(W) for W in g["weights"]], "biases": [swap(v) for v in g["biases"]]}


def returns_too_much(w, b, x, y):
    """Correct gradients and 300 MB beside them: more than one answer may take."""
    g = correct(w, b, x, y)
    return {"weights": g["weights"], "biases": g["biases"], "deltas": [np.zeros(300_000_000 // 8 + 1)]}


def prints_where_no_file_can_grow(w, b, x, y):
    """Correct, and prints after forbidding itself to grow any file (RLIMIT_FSIZE 0), as where TMPDIR is full:
    its print must not fail."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    print("a learner's debug line " * 200, flush=True)
    return correct(w, b, x, y)


def takes_three_seconds(w, b, x, y):
    """Correct, after 3 s: past a 1 s limit, however late the checker looks."""
    time.sleep(3)
    return correct(w, b, x, y)
