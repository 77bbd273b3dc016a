"""Every bad call raises ValueError or TypeError naming the argument, and mutates nothing."""

from __future__ import annotations

import numpy as np
import pytest

from reference import Gradients, Network, train

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
def _as_matrix(a):
    """An np.matrix (NumPy warns that the subclass is not recommended: the point of the test)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(a)


BAD_CALLS = [
    ("x rows != n_1", lambda n: n.forward(np.zeros((3, 4))), ValueError, ["x", "(2, N)", "(3, 4)"]),
    ("x 1-D", lambda n: n.forward(np.zeros(2)), ValueError, ["x", "2-D"]),
    ("x not an array", lambda n: n.forward([[0.0], [0.0]]), TypeError, ["x", "numpy.ndarray", "list"]),
    # np.matrix's * is a matrix product (silu's z·σ(z) came out off by 0.48); a masked array hides a NaN weight.
    ("x an np.matrix", lambda n: n.forward(_as_matrix(np.zeros((2, 4)))), TypeError, ["x", "plain numpy.ndarray", "matrix"]),
    (
        "y a masked array",
        lambda n: n.backward(good_xy()[0], np.ma.masked_array(np.zeros((1, 4)), mask=[[1, 0, 0, 0]])),
        TypeError,
        ["y", "plain numpy.ndarray", "MaskedArray", "np.asarray(y)"],
    ),
    (
        "a weight as a masked array",
        lambda n: Network([np.ma.masked_invalid(np.full((3, 2), np.nan)), n.weights[1]], n.biases),
        TypeError,
        ["weights", "plain numpy.ndarray", "MaskedArray"],
    ),
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
    ("out not Gradients", lambda n: n.backward(*good_xy(), out=(1, 2)), TypeError, ["out", "Gradients", "tuple"]),
    (
        "out of another batch size",
        lambda n: n.backward(*good_xy(), out=n.backward(*good_xy(N=5))),
        ValueError,
        ["out.deltas[0]", "(3, 4)", "(3, 5)"],
    ),
    (
        "out of another dtype",
        lambda n: n.backward(*good_xy(), out=net(f32).backward(*good_xy(f32))),
        TypeError,
        ["out.weights[0]", "float32", "float64"],
    ),
    (
        "out read-only",
        lambda n: n.backward(*good_xy(), out=_read_only(n.backward(*good_xy()))),
        ValueError,
        ["out.biases[1]", "read-only"],
    ),
    (
        "out is the parameters",
        lambda n: n.backward(*good_xy(), out=Gradients(0.0, n.backward(*good_xy()).deltas, n.weights, n.biases)),
        ValueError,
        ["out.weights[0]", "shares memory with weights[0]"],
    ),
    (
        "out: one array for two layers",
        lambda n: n.backward(*good_xy(), out=_one_buffer_twice(n.backward(*good_xy()))),
        ValueError,
        ["out.biases[0]", "shares memory with out.biases[1]", "its own"],
    ),
]


def _read_only(g):
    g.biases[1].flags.writeable = False
    return g


def _one_buffer_twice(g):
    g.biases[1] = g.biases[0][:1]  # a view of layer 2's ∂C/∂b as layer 3's
    return g


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


# --- the checker's public entries: refused before any framework sees the input ----------
def _case(n, x=None, y=None):
    from crosscheck import Case

    gx, gy = good_xy()
    return Case(n, gx if x is None else x, gy if y is None else y)


def _oracle(n, x, y, name="torch"):
    from crosscheck import oracle_gradients

    return oracle_gradients(name, n, x, y)


def _check(*args, **kwargs):
    from crosscheck import check_case

    return check_case(*args, **kwargs)


def _compare(tested, oracle, **kwargs):
    from crosscheck import compare

    return compare(tested, oracle, **kwargs)


def _tolerance(**kwargs):
    from crosscheck import Tolerance

    return Tolerance(**kwargs)


def _implementation(fn, **kwargs):
    from crosscheck import check_implementation

    return check_implementation(fn, **kwargs)


def _cli(*args):
    """The certificate CLI, its exit-2 message raised as a ValueError."""
    import contextlib
    import io

    from crosscheck.__main__ import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as info:
        main(list(args))
    raise ValueError(f"exit {info.value.code}: {err.getvalue()}")


def _softmax_net():
    return Network.random((2, 3, 3), seed=0, output_activation="softmax", loss="cross_entropy")


def _bce_net():
    return Network.random((2, 3, 1), seed=0, loss="binary_cross_entropy")


ones_x = np.ones((2, 4))
CHECKER_BAD_CALLS = [
    ("oracle: x rows != n_1", lambda n: _oracle(n, np.zeros((3, 4)), good_xy()[1]), ValueError, ["x", "(2, N)", "(3, 4)"]),
    ("oracle: y broadcastable", lambda n: _oracle(n, good_xy()[0], np.zeros((1, 1))), ValueError, ["y", "(1, 4)", "(1, 1)"]),
    ("oracle: y rows", lambda n: _oracle(n, good_xy()[0], np.zeros((3, 4))), ValueError, ["y", "(1, 4)", "(3, 4)"]),
    ("oracle: NaN in x", lambda n: _oracle(n, nan_x, good_xy()[1]), ValueError, ["x", "finite", "nan"]),
    ("oracle: Inf in y", lambda n: _oracle(n, good_xy()[0], inf_y), ValueError, ["y", "finite", "inf"]),
    ("oracle: empty batch", lambda n: _oracle(n, np.zeros((2, 0)), np.zeros((1, 0))), ValueError, ["x", "empty"]),
    ("oracle: int x", lambda n: _oracle(n, np.zeros((2, 4), int), good_xy()[1]), TypeError, ["x", "float32 or float64", "int"]),
    ("oracle: float32 x", lambda n: _oracle(n, good_xy(f32)[0], good_xy()[1]), TypeError, ["x", "float32", "float64"]),
    ("oracle: x a list", lambda n: _oracle(n, [[0.0] * 4] * 2, good_xy()[1]), TypeError, ["x", "numpy.ndarray", "list"]),
    ("oracle: not a network", lambda n: _oracle("net", *good_xy()), TypeError, ["network", "reference.Network", "str"]),
    ("oracle: unknown name", lambda n: _oracle(n, *good_xy(), name="tf"), ValueError, ["unknown oracle", "'tf'", "torch"]),
    (
        "oracle: class labels for cross_entropy",
        lambda n: _oracle(_softmax_net(), good_xy()[0], np.zeros((1, 4))),
        ValueError,
        ["y", "(3, 4)", "(1, 4)"],
    ),
    (
        "oracle: BCE target outside [0, 1]",
        lambda n: _oracle(_bce_net(), good_xy()[0], np.full((1, 4), 2.0)),
        ValueError,
        ["y", "[0, 1]", "binary_cross_entropy"],
    ),
    ("check: not a Case", lambda n: _check("case"), TypeError, ["case", "crosscheck.Case", "str"]),
    ("check: empty oracle list", lambda n: _check(_case(n), []), ValueError, ["oracles is empty", "cannot fail"]),
    ("check: oracle not a name", lambda n: _check(_case(n), [3]), TypeError, ["oracles", "names", "3"]),
    (
        "check_cases: no cases",
        lambda n: __import__("crosscheck").check_cases([]),
        ValueError,
        ["cases is empty", "cannot fail"],
    ),
    (
        "check_cases: not a Case",
        lambda n: __import__("crosscheck").check_cases([_case(n), (n, 1, 2)]),
        TypeError,
        ["cases[1]", "crosscheck.Case", "tuple"],
    ),
    (
        "compare: no case or scales",
        lambda n: _compare(n.backward(*good_xy()), n.backward(*good_xy())),
        ValueError,
        ["case=", "scales="],
    ),
    (
        "compare: loss None",
        lambda n: _compare(
            n.backward(*good_xy())._replace_loss if False else __import__("reference").Gradients(None, [], [], []),
            n.backward(*good_xy()),
            case=_case(n),
        ),
        TypeError,
        ["tested.loss", "number", "NoneType"],
    ),
    (
        "compare: not Gradients",
        lambda n: _compare({"loss": 1}, n.backward(*good_xy()), case=_case(n)),
        TypeError,
        ["tested", "Gradients", "dict"],
    ),
    ("Tolerance: rtol -1", lambda n: _tolerance(rtol=-1), ValueError, ["rtol", ">= 0", "-1"]),
    ("Tolerance: rtol str", lambda n: _tolerance(rtol="1e-9"), TypeError, ["rtol", "real number", "str"]),
    ("Tolerance: cost_rtol NaN", lambda n: _tolerance(rtol=1e-9, cost_rtol=float("nan")), ValueError, ["cost_rtol", "nan"]),
    (
        "implementation: a name without its module",
        lambda n: _implementation("backprop"),
        ValueError,
        ["fn", "MODULE:FUNCTION", "'backprop'"],
    ),
    ("implementation: not callable", lambda n: _implementation(42), TypeError, ["fn", "callable", "int"]),
    ("implementation: a file for a module", lambda n: _implementation("mine.py:backprop"), ValueError, ["mine:backprop"]),
    (
        "implementation: unknown convention",
        lambda n: _implementation(len, convention="diag"),
        ValueError,
        ["convention", "rows", "'diag'"],
    ),
    (
        "Convention: samples diagonal",
        lambda n: __import__("crosscheck").Convention("mine", samples="diagonal"),
        ValueError,
        ["samples", "columns", "'diagonal'"],
    ),
    ("implementation: 0 cases", lambda n: _implementation(len, cases=0), ValueError, ["cases", "positive", "0"]),
    (
        "overflowed cost",
        lambda n: n.backward(good_xy()[0], np.full((1, 4), 1e200)),
        FloatingPointError,
        ["cost C overflowed", "float64", "nothing was changed"],
    ),
    (
        "overflowed cost, out=",
        lambda n: n.backward(good_xy()[0], np.full((1, 4), 1e200), out=n.backward(*good_xy())),
        FloatingPointError,
        ["cost C overflowed", "out's arrays hold the overflowed values", "the network is unchanged"],
    ),
    (
        "overflowed update",
        lambda n: n.step(n.backward(ones_x, np.full((1, 4), -1e5)), 1e306),
        FloatingPointError,
        ["update", "overflowed", "unchanged"],
    ),
    (
        "train ruined by its first step",
        lambda n: train(n, ones_x, np.full((1, 4), -1e5), learning_rate=1e306, max_iterations=5),
        FloatingPointError,
        ["update", "overflowed", "unchanged"],
    ),
    ("CLI: --seed -1", lambda n: _cli("--seed", "-1"), ValueError, ["exit 2", "argument --seed: must be at least 0"]),
    ("CLI: --cases 0", lambda n: _cli("--cases", "0"), ValueError, ["exit 2", "argument --cases: must be at least 1"]),
    ("CLI: --json at a folder", lambda n: _cli("--json", "/"), ValueError, ["exit 2", "is a folder, not a file"]),
    ("CLI: verify without MODULE:FUNCTION", lambda n: _cli("verify", "nocolon"), ValueError, ["exit 2", "MODULE:FUNCTION"]),
    (
        "CLI: verify unknown convention",
        lambda n: _cli("verify", "a:b", "--convention", "diag"),
        ValueError,
        ["exit 2", "invalid choice"],
    ),
    # Wrong types that crashed with AttributeError, or were accepted silently, or read unclearly (issue 26).
    (
        "check_case: implementation as a convention name",
        lambda n: _check(_case(n), ["torch"], implementation="columns"),
        TypeError,
        ["implementation must be a crosscheck.Implementation", "crosscheck.implementation(fn", "str"],
    ),
    (
        "check_case: implementation as a bare function",
        lambda n: _check(_case(n), ["torch"], implementation=lambda w, b, x, y: None),
        TypeError,
        ["implementation must be a crosscheck.Implementation", "function"],
    ),
    (
        "check_cases: one Case",
        lambda n: __import__("crosscheck").check_cases(_case(n)),
        TypeError,
        ["cases must be a sequence of crosscheck.Case", "got one Case", "check_case(case)"],
    ),
    (
        "compare: scales a string",
        lambda n: _compare(n.backward(*good_xy()), n.backward(*good_xy()), scales="x"),
        TypeError,
        ["scales must be a reference.Gradients", "str"],
    ),
    (
        "compare: oracle_error a list",
        lambda n: _compare(n.backward(*good_xy()), n.backward(*good_xy()), case=_case(n), oracle_error=[1.0]),
        TypeError,
        ["oracle_error must be a reference.Gradients", "list"],
    ),
    ("random_cases: rng an int", lambda n: _random_cases(3, 5), TypeError, ["rng must be a numpy.random.Generator", "int"]),
    (
        "random_cases: count -1",
        lambda n: _random_cases(np.random.default_rng(0), -1),
        ValueError,
        ["count must be an int >= 0", "-1"],
    ),
    ("Convention: name None", lambda n: _convention(None), TypeError, ["convention name must be a non-empty str", "None"]),
    (
        "implementation: name 3",
        lambda n: __import__("crosscheck").implementation(lambda w, b, x, y: None, name=3),
        TypeError,
        ["name must be a non-empty str", "3"],
    ),
    (
        "check_implementation: learning_rate '0.5'",
        lambda n: _implementation(lambda w, b, x, y: None, update=lambda *a: None, learning_rate="0.5"),
        TypeError,
        ["learning_rate must be a real number", "str"],
    ),
]


def _random_cases(rng, count):
    from crosscheck.strategies import random_cases

    return random_cases(rng, count)


def _convention(name):
    from crosscheck import Convention

    return Convention(name)


@pytest.mark.parametrize(("call", "error", "words"), [c[1:] for c in CHECKER_BAD_CALLS], ids=[c[0] for c in CHECKER_BAD_CALLS])
def test_bad_call_to_the_checker_is_refused_clearly_and_mutates_nothing(call, error, words):
    """The checker's entries (oracles, checks, comparisons, tolerances, your-implementation checks, the CLI) and the
    reference's overflow guards raise the named error with every word, and the network is unchanged."""
    test_bad_call_is_refused_clearly_and_mutates_nothing(call, error, words)


def test_the_table_has_forty_rows():
    """The bad-input table holds at least 40 calls across the reference, the oracles, the checks and the CLI."""
    assert len(BAD_CALLS) + len(CHECKER_BAD_CALLS) >= 40


def test_read_only_inputs_are_fine_and_warn_nothing():
    """A read-only x or y (a memory-mapped data set, say) is checked like any other, with no warning from a framework."""
    pytest.importorskip("torch")
    from crosscheck import check_case

    x, y = good_xy()
    x.setflags(write=False)
    y.setflags(write=False)
    assert check_case(_case(net(), x, y), ["torch", "numeric"]).ok


def test_one_oracle_name_is_one_oracle_and_no_layer_reads_plainly():
    """check_case(case, "torch") checks the torch oracle (not the letters t, o, r, c, h), and a quantity with no one
    layer (a count of layers) is named without "^None"."""
    pytest.importorskip("torch")
    from crosscheck import check_case
    from crosscheck.judge import symbol

    assert list(check_case(_case(net()), "torch").comparisons) == ["torch"]
    assert [symbol(q, None) for q in ("deltas", "weights", "biases", "loss")] == ["δ", "∂C/∂W", "∂C/∂b", "C"]


# --- the declarations of your code (issue 25) and its supervision (issue 26) -----------------------
def _declared_convention(**fields):
    from crosscheck import Convention

    return Convention("mine", **fields)


def _verify(**options):
    pytest.importorskip("torch")
    pytest.importorskip("jax")
    import crosscheck
    from examples import columns

    return crosscheck.check_implementation(columns.backprop, **{"cases": 1, **options})


def _declared_implementation(**options):
    import crosscheck
    from examples import columns

    return crosscheck.implementation(columns.backprop, **options)


def _drawn(**options):
    from crosscheck.strategies import random_cases

    return random_cases(np.random.default_rng(0), 1, **options)


DECLARATION_BAD_CALLS = [
    (
        "convention biases",
        lambda n: _declared_convention(biases="(1, n)"),
        ValueError,
        ["biases", "'column', 'flat', 'row'", "(1, n)"],
    ),
    ("convention cost", lambda n: _declared_convention(cost="avg"), ValueError, ["cost", "'mean', 'sum', 'elements'", "'avg'"]),
    ("convention targets", lambda n: _declared_convention(targets="ints"), ValueError, ["targets", "'labels'", "'ints'"]),
    (
        "convention l2_form",
        lambda n: _declared_convention(l2_form="l2"),
        ValueError,
        ["l2_form", "'lambda/2n', 'lambda/2', 'reg'"],
    ),
    ("convention half not a bool", lambda n: _declared_convention(half=1), TypeError, ["half", "True or False", "1"]),
    ("convention clip negative", lambda n: _declared_convention(clip=-1e-7), ValueError, ["clip", "[0, 0.5)", "-1e-07"]),
    ("convention clip 0.5", lambda n: _declared_convention(clip=0.5), ValueError, ["clip", "[0, 0.5)", "0.5"]),
    ("convention clip a str", lambda n: _declared_convention(clip="1e-7"), TypeError, ["clip", "a number", "str"]),
    ("convention l2 nan", lambda n: _declared_convention(l2=float("nan")), ValueError, ["l2", ">= 0", "nan"]),
    ("convention l2 inf", lambda n: _declared_convention(l2=float("inf")), ValueError, ["l2", ">= 0", "inf"]),
    ("convention l2 negative", lambda n: _declared_convention(l2=-0.1), ValueError, ["l2", ">= 0", "-0.1"]),
    ("convention l2 a bool", lambda n: _declared_convention(l2=True), TypeError, ["l2", "a number", "bool"]),
    ("convention weight_decay negative", lambda n: _declared_convention(weight_decay=-1), ValueError, ["weight_decay", ">= 0"]),
    ("convention weight_decay None", lambda n: _declared_convention(weight_decay=None), TypeError, ["weight_decay", "NoneType"]),
    (
        "convention l2 per sample",
        lambda n: _declared_convention(l2=0.1, per_sample=True),
        ValueError,
        ["l2", "per_sample", "weight_decay"],
    ),
    ("drawn sizes one width", lambda n: _drawn(sizes=(3,)), ValueError, ["sizes", "at least two positive ints", "(3,)"]),
    ("drawn sizes a zero", lambda n: _drawn(sizes=(3, 0, 1)), ValueError, ["sizes", "positive ints", "(3, 0, 1)"]),
    ("drawn sizes floats", lambda n: _drawn(sizes=(3.0, 2.0)), ValueError, ["sizes", "positive ints"]),
    ("drawn sizes not a sequence", lambda n: _drawn(sizes=3), TypeError, ["sizes", "sequence of ints", "3"]),
    ("drawn outputs zero", lambda n: _drawn(outputs=0), ValueError, ["outputs", "positive int", "0"]),
    ("drawn outputs a str", lambda n: _drawn(outputs="3"), ValueError, ["outputs", "positive int", "'3'"]),
    ("drawn sizes against outputs", lambda n: _drawn(sizes=(2, 3), outputs=2), ValueError, ["sizes=(2, 3)", "outputs=2"]),
    ("drawn targets", lambda n: _drawn(targets="labels"), ValueError, ["targets", "'one_hot', 'binary'", "'labels'"]),
    ("drawn min_layers above max", lambda n: _drawn(min_layers=4, max_layers=2), ValueError, ["min_layers=4", "max_layers=2"]),
    ("drawn max_width a float", lambda n: _drawn(max_width=4.0), TypeError, ["max_width", "an int", "4.0"]),
    ("implementation time_limit 0", lambda n: _declared_implementation(time_limit=0), ValueError, ["time_limit", "> 0", "0"]),
    (
        "implementation time_limit inf",
        lambda n: _declared_implementation(time_limit=float("inf")),
        ValueError,
        ["time_limit", "finite"],
    ),
    (
        "implementation time_limit a str",
        lambda n: _declared_implementation(time_limit="60"),
        TypeError,
        ["time_limit", "seconds", "str"],
    ),
    ("implementation time_limit a bool", lambda n: _declared_implementation(time_limit=True), TypeError, ["time_limit", "bool"]),
    (
        "implementation provides a str",
        lambda n: _declared_implementation(provides="weights"),
        TypeError,
        ["provides", "sequence", "'weights'"],
    ),
    (
        "implementation provides no biases",
        lambda n: _declared_implementation(provides=("weights",)),
        ValueError,
        ["provides", "'biases'"],
    ),
    (
        "implementation provides unknown",
        lambda n: _declared_implementation(provides=("weights", "biases", "dW")),
        ValueError,
        ["provides", "dW"],
    ),
    (
        "implementation provides ints",
        lambda n: _declared_implementation(provides=(1, 2)),
        TypeError,
        ["provides", "quantity names"],
    ),
    ("verify seed -1", lambda n: _verify(seed=-1), ValueError, ["seed", "int >= 0", "-1"]),
    ("verify seed a float", lambda n: _verify(seed=1.5), ValueError, ["seed", "int >= 0", "1.5"]),
    ("verify seed a bool", lambda n: _verify(seed=True), ValueError, ["seed", "int >= 0", "True"]),
    (
        "verify half for BCE",
        lambda n: _verify(convention=_declared_convention(half=False), loss="binary_cross_entropy"),
        ValueError,
        ["half=False", "'binary_cross_entropy'"],
    ),
    (
        "verify clip for quadratic",
        lambda n: _verify(convention=_declared_convention(clip=1e-7)),
        ValueError,
        ["clip=1e-07", "'quadratic'"],
    ),
    (
        "verify binary for CE",
        lambda n: _verify(convention=_declared_convention(targets="binary"), output_activation="softmax", loss="cross_entropy"),
        ValueError,
        ["targets='binary'", "one_hot"],
    ),
    ("verify sizes bad", lambda n: _verify(sizes=(4,)), ValueError, ["sizes", "at least two"]),
    ("verify outputs bad", lambda n: _verify(outputs=-1), ValueError, ["outputs", "positive int", "-1"]),
    ("verify time_limit bad", lambda n: _verify(time_limit=-5), ValueError, ["time_limit", "> 0", "-5"]),
    (
        "verify convention unknown",
        lambda n: _verify(convention="diagonal"),
        ValueError,
        ["convention", "'columns'", "'diagonal'"],
    ),
    ("verify cases 0", lambda n: _verify(cases=0), ValueError, ["cases", "positive int", "0"]),
    ("verify dtypes empty", lambda n: _verify(dtypes=()), ValueError, ["dtypes is empty"]),
    ("verify activation unknown", lambda n: _verify(activation="swish"), ValueError, ["activation='swish'", "registry"]),
    ("verify loss unknown", lambda n: _verify(loss="mse"), ValueError, ["loss='mse'", "registry"]),
    ("verify softmax hidden", lambda n: _verify(activation="softmax"), ValueError, ["activation='softmax'", "element-wise"]),
    ("verify loss needs softmax", lambda n: _verify(loss="cross_entropy"), ValueError, ["loss='cross_entropy'", "softmax"]),
    ("verify oracles empty", lambda n: _verify(oracles=()), ValueError, ["oracles is empty"]),
    ("verify oracle unknown", lambda n: _verify(oracles=("tf",)), ValueError, ["unknown oracle", "'tf'"]),
    ("verify learning_rate 0", lambda n: _verify(learning_rate=0), ValueError, ["learning_rate", "> 0", "0"]),
    ("verify max_batch 0", lambda n: _verify(max_batch=0), ValueError, ["max_batch=0", "at least 1"]),
    ("verify min_width above max", lambda n: _verify(min_width=9, max_width=8), ValueError, ["min_width=9", "max_width=8"]),
    ("verify time_limit nan", lambda n: _verify(time_limit=float("nan")), ValueError, ["time_limit", "finite", "nan"]),
]
"""The bad calls of what issues 25 and 26 added: each names the argument, what was expected and what came."""


@pytest.mark.parametrize(
    ("call", "error", "words"), [r[1:] for r in DECLARATION_BAD_CALLS], ids=[r[0] for r in DECLARATION_BAD_CALLS]
)
def test_a_bad_declaration_is_refused_clearly_and_mutates_nothing(call, error, words):
    """A bad Convention field, structure option, time limit, provides or seed raises the named error with every word."""
    test_bad_call_is_refused_clearly_and_mutates_nothing(call, error, words)


def test_the_tables_hold_150_rows():
    """The bad-input tables hold at least 150 calls across the reference, the checker and the declarations."""
    assert len(BAD_CALLS) + len(CHECKER_BAD_CALLS) + len(DECLARATION_BAD_CALLS) >= 150
