"""Every bad call raises ValueError or TypeError naming the argument, and mutates nothing."""

from __future__ import annotations

import numpy as np
import pytest

from reference import Network, train

f64, f32 = np.float64, np.float32


def net(dtype=f64):
    return Network.random((2, 3, 1), seed=0, dtype=dtype)


def good_xy(dtype=f64, N=4):
    return np.zeros((2, N), dtype), np.zeros((1, N), dtype)


def W(shape, dtype=f64, fill=0.5):
    return np.full(shape, fill, dtype)


GOOD_W = [W((3, 2)), W((1, 3))]
GOOD_b = [W((3, 1)), W((1, 1))]
nan_x = good_xy()[0].copy()
nan_x[1, 2] = np.nan
inf_y = good_xy()[1].copy()
inf_y[0, 0] = np.inf

# (id, call, exception, words the message must contain)
BAD_CALLS = [
    ("x rows != n_1", lambda n: n.forward(np.zeros((3, 4))), ValueError, ["x", "(2, N)", "(3, 4)"]),
    ("x 1-D", lambda n: n.forward(np.zeros(2)), ValueError, ["x", "2-D"]),
    ("x not an array", lambda n: n.forward([[0.0], [0.0]]), TypeError, ["x", "numpy.ndarray", "list"]),
    ("y wrong rows", lambda n: n.backward(good_xy()[0], np.zeros((2, 4))), ValueError, ["y", "(1, 4)", "(2, 4)"]),
    ("y wrong N", lambda n: n.backward(good_xy()[0], np.zeros((1, 5))), ValueError, ["y", "(1, 4)", "(1, 5)"]),
    ("empty batch", lambda n: n.backward(np.zeros((2, 0)), np.zeros((1, 0))), ValueError, ["x", "empty"]),
    ("NaN in x", lambda n: n.forward(nan_x), ValueError, ["x", "finite", "nan", "(1, 2)"]),
    ("Inf in y", lambda n: n.backward(good_xy()[0], inf_y), ValueError, ["y", "finite", "inf"]),
    ("int x", lambda n: n.forward(np.zeros((2, 4), dtype=int)), TypeError, ["x", "float32 or float64", "int"]),
    ("bool y", lambda n: n.backward(good_xy()[0], np.zeros((1, 4), bool)), TypeError, ["y", "bool"]),
    ("complex x", lambda n: n.forward(np.zeros((2, 4), complex)), TypeError, ["x", "complex"]),
    ("float32 x, float64 net", lambda n: n.forward(good_xy(f32)[0]), TypeError, ["x", "float32", "float64", "mixed"]),
    ("float32 y, float64 net", lambda n: n.backward(good_xy()[0], good_xy(f32)[1]), TypeError, ["y", "mixed"]),
    ("learning rate 0", lambda n: n.step(n.backward(*good_xy()), 0.0), ValueError, ["learning_rate", "> 0", "0.0"]),
    (
        "learning rate -1",
        lambda n: train(n, *good_xy(), learning_rate=-1, max_iterations=3),
        ValueError,
        ["learning_rate", "-1"],
    ),
    ("learning rate NaN", lambda n: n.step(n.backward(*good_xy()), float("nan")), ValueError, ["learning_rate"]),
    ("learning rate str", lambda n: n.step(n.backward(*good_xy()), "0.1"), TypeError, ["learning_rate", "str"]),
    (
        "iterations 0",
        lambda n: train(n, *good_xy(), learning_rate=1, max_iterations=0),
        ValueError,
        ["max_iterations", ">= 1", "0"],
    ),
    (
        "iterations float",
        lambda n: train(n, *good_xy(), learning_rate=1, max_iterations=2.5),
        TypeError,
        ["max_iterations", "int", "float"],
    ),
    (
        "tolerance -1",
        lambda n: train(n, *good_xy(), learning_rate=1, max_iterations=2, tolerance=-1.0),
        ValueError,
        ["tolerance", "-1"],
    ),
    (
        "train on wrong x",
        lambda n: train(n, np.zeros((5, 4)), np.zeros((1, 4)), learning_rate=1, max_iterations=2),
        ValueError,
        ["x", "(2, N)"],
    ),
    (
        "step with wrong shapes",
        lambda n: n.step(Network.random((2, 4, 1), seed=0).backward(*good_xy()), 0.1),
        ValueError,
        ["gradients.weights[0]", "(3, 2)", "(4, 2)"],
    ),
    (
        "step with float32 grads",
        lambda n: n.step(net(f32).backward(*good_xy(f32)), 0.1),
        TypeError,
        ["gradients.weights[0]", "float32", "mixed"],
    ),
    ("step with no Gradients", lambda n: n.step({"weights": []}, 0.1), TypeError, ["gradients", "dict"]),
    (
        "unknown activation",
        lambda n: Network(GOOD_W, GOOD_b, activation="sigmiod"),
        ValueError,
        ["activation", "'sigmiod'", "known", "sigmoid"],
    ),
    (
        "unknown output activation",
        lambda n: Network(GOOD_W, GOOD_b, output_activation="nope"),
        ValueError,
        ["output_activation", "'nope'", "known"],
    ),
    ("unknown loss", lambda n: Network(GOOD_W, GOOD_b, loss="l1"), ValueError, ["loss", "'l1'", "quadratic"]),
    (
        "weights do not chain",
        lambda n: Network([W((3, 2)), W((1, 4))], GOOD_b),
        ValueError,
        ["weights[1]", "3 columns", "(1, 4)"],
    ),
    ("bias not a column", lambda n: Network(GOOD_W, [W((3,)), W((1, 1))]), ValueError, ["biases[0]", "2-D"]),
    ("bias wrong rows", lambda n: Network(GOOD_W, [W((2, 1)), W((1, 1))]), ValueError, ["biases[0]", "(3, 1)"]),
    ("one bias too few", lambda n: Network(GOOD_W, GOOD_b[:1]), ValueError, ["biases", "2", "1"]),
    ("no weights", lambda n: Network([], []), ValueError, ["weights", "non-empty"]),
    (
        "NaN weight",
        lambda n: Network([W((3, 2), fill=np.nan), W((1, 3))], GOOD_b),
        ValueError,
        ["weights[0]", "finite"],
    ),
    ("Inf bias", lambda n: Network(GOOD_W, [W((3, 1)), W((1, 1), fill=np.inf)]), ValueError, ["biases[1]", "finite"]),
    ("int weights", lambda n: Network([W((3, 2), int), W((1, 3), int)], GOOD_b), TypeError, ["weights[0]", "int"]),
    (
        "mixed parameter dtypes",
        lambda n: Network([W((3, 2)), W((1, 3), f32)], GOOD_b),
        TypeError,
        ["weights[1]", "float32", "float64"],
    ),
    ("random: one size", lambda n: Network.random((3,), seed=0), ValueError, ["sizes", "at least two"]),
    ("random: zero width", lambda n: Network.random((3, 0, 1), seed=0), ValueError, ["sizes[1]", ">= 1"]),
    ("random: float seed", lambda n: Network.random((2, 1), seed=1.5), TypeError, ["seed", "Generator", "float"]),
    ("random: int dtype", lambda n: Network.random((2, 1), seed=0, dtype=np.int64), TypeError, ["dtype", "int64"]),
]


@pytest.mark.parametrize(("call", "error", "words"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_call_is_refused_clearly_and_mutates_nothing(call, error, words):
    """The call raises the named error, its message has every word, and the network is unchanged."""
    network = net()
    before = [a.copy() for a in (*network.weights, *network.biases)]
    with pytest.raises(error) as info:
        call(network)
    message = str(info.value)
    missing = [w for w in words if w not in message]
    assert not missing, f"message {message!r} lacks {missing}"
    for a, b in zip((*network.weights, *network.biases), before):
        np.testing.assert_array_equal(a, b)
