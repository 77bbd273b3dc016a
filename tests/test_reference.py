"""Unit tests of the reference: the derivation's 2-3-1 example, XOR, dtypes, determinism."""

from __future__ import annotations

import ast
import itertools
import sys
from decimal import Decimal
from pathlib import Path

import exact
import numpy as np
import pytest

from crosscheck import Case, compare
from crosscheck.tolerances import AUTOGRAD_KIND, tolerance
from reference import ACTIVATIONS, Gradients, Network, train
from reference.xor import train_xor, xor_data

# The derivation's 2-3-1 network with small hand-chosen numbers, a batch of two samples.
W2 = [["0.1", "0.2"], ["-0.3", "0.4"], ["0.5", "-0.6"]]
b2 = [["0.1"], ["-0.2"], ["0.3"]]
W3 = [["0.7", "-0.8", "0.9"]]
b3 = [["-0.1"]]
X = [["1", "0.5"], ["0", "-1"]]
Y = [["1", "0"]]


def _dec(rows):
    return [[Decimal(v) for v in row] for row in rows]


def _f64(rows):
    return np.array([[float(Decimal(v)) for v in row] for row in rows])


def exact_example():
    """Forward values and every gradient of the example, from `exact` (50 digits)."""
    W = [_dec(W2), _dec(W3)]
    b = [[r[0] for r in _dec(b2)], [r[0] for r in _dec(b3)]]
    x, y = _dec(X), _dec(Y)
    zs, activations, C = exact.forward_and_cost(W, b, x, y)

    def d(seed=None, z_seed=None):
        return float(exact.forward_and_cost(W, b, x, y, seed=seed, z_seed=z_seed)[2].derivative)

    deltas = [np.array([[d(z_seed=(l, j, s)) for s in range(2)] for j in range(len(W[l]))]) for l in range(2)]
    weights = [np.array([[d(seed=("W", l, j, k)) for k in range(len(W[l][0]))] for j in range(len(W[l]))]) for l in range(2)]
    biases = [np.array([[d(seed=("b", l, j, 0))] for j in range(len(W[l]))]) for l in range(2)]
    values = lambda rows: np.array([[float(v.value) for v in row] for row in rows])  # noqa: E731
    forward = ([values(z) for z in zs], [values(a) for a in activations])
    return forward, Gradients(float(C.value), deltas, weights, biases)


def example_network():
    return Network([_f64(W2), _f64(W3)], [_f64(b2), _f64(b3)])


def test_forward_matches_exact_arithmetic():
    """z^2, a^2, z^3, a^3 of the 2-3-1 example equal their 50-digit values to float64 rounding."""
    (zs_exact, activations_exact), _ = exact_example()
    zs, activations = example_network().forward(_f64(X))
    rtol = tolerance(AUTOGRAD_KIND, np.float64).rtol
    for l, (z, z_exact) in enumerate(zip(zs, zs_exact), start=2):
        np.testing.assert_allclose(z, z_exact, rtol=rtol, atol=0, err_msg=f"z^{l}")
    for l, (a, a_exact) in enumerate(zip(activations, activations_exact), start=1):
        np.testing.assert_allclose(a, a_exact, rtol=rtol, atol=0, err_msg=f"a^{l}")


def test_backward_matches_exact_arithmetic():
    """C, δ^3, δ^2 and every ∂C/∂W, ∂C/∂b of the example equal the 50-digit dual-number values."""
    _, expected = exact_example()
    got = example_network().backward(_f64(X), _f64(Y))
    case = Case(example_network(), _f64(X), _f64(Y))
    compare(got, expected, case=case, oracle_name="50-digit dual numbers").assert_ok()


def test_backward_shapes_follow_the_notation_table():
    """δ^l is (n_l, N), ∂C/∂W^l is W^l's shape, ∂C/∂b^l is (n_l, 1)."""
    net = Network.random((4, 3, 5, 2), seed=0)
    x, y = np.ones((4, 7)), np.zeros((2, 7))
    g = net.backward(x, y)
    assert [d.shape for d in g.deltas] == [(3, 7), (5, 7), (2, 7)]
    assert [w.shape for w in g.weights] == [W.shape for W in net.weights]
    assert [b.shape for b in g.biases] == [(3, 1), (5, 1), (2, 1)]
    zs, activations = net.forward(x)
    assert [z.shape for z in zs] == [(3, 7), (5, 7), (2, 7)]
    assert activations[0] is x
    assert [a.shape for a in activations] == [(4, 7), (3, 7), (5, 7), (2, 7)]


@pytest.mark.parametrize("z", [1e4, -1e4, 800.0, -800.0, 0.0])
def test_sigmoid_does_not_overflow(z):
    """σ(z) is finite, in [0, 1], and warning-free for |z| up to 1e4 (warnings are errors here)."""
    for dtype in (np.float64, np.float32):
        a = ACTIVATIONS["sigmoid"].function(np.array([[z]], dtype=dtype))
        assert a.dtype == dtype
        assert np.isfinite(a).all() and 0.0 <= a[0, 0] <= 1.0, f"σ({z}) = {a[0, 0]} in {dtype.__name__}"


def test_step_is_gradient_descent_in_place():
    """step applies W ← W − η ∂C/∂W and b ← b − η ∂C/∂b to the network's own arrays."""
    net = example_network()
    before_W = [W.copy() for W in net.weights]
    before_b = [b.copy() for b in net.biases]
    arrays = [id(W) for W in net.weights]
    g = net.backward(_f64(X), _f64(Y))
    net.step(g, 0.5)
    assert [id(W) for W in net.weights] == arrays
    for W, W0, dW in zip(net.weights, before_W, g.weights):
        np.testing.assert_array_equal(W, W0 - 0.5 * dW)
    for b, b0, db in zip(net.biases, before_b, g.biases):
        np.testing.assert_array_equal(b, b0 - 0.5 * db)


def test_network_copies_its_parameters():
    """Training a network never writes into the arrays it was built from."""
    W, b = [_f64(W2), _f64(W3)], [_f64(b2), _f64(b3)]
    originals = [a.copy() for a in W + b]
    net = Network(W, b)
    net.step(net.backward(_f64(X), _f64(Y)), 1.0)
    for a, original in zip(W + b, originals):
        np.testing.assert_array_equal(a, original)


@pytest.mark.parametrize("tolerance_rule", [None, 1e-7], ids=["max_iterations", "tolerance"])
def test_xor_converges(tolerance_rule):
    """The 2-3-1 sigmoid network learns XOR (C < 1e-2, right side of 0.5) under each stop rule."""
    network, history = train_xor(tolerance=tolerance_rule)
    expected = "max_iterations" if tolerance_rule is None else "tolerance"
    assert history.stop_reason == expected
    assert history.losses[-1] < 1e-2, f"XOR loss {history.losses[-1]} after {history.iterations} iterations"
    x, y = xor_data()
    predictions = network.forward(x)[1][-1]
    np.testing.assert_array_equal(predictions > 0.5, y > 0.5)


@pytest.mark.parametrize("learning_rate", [2.0, 30.0], ids=["the loss falling", "the loss rising at first"])
def test_tolerance_rule_stops_when_the_loss_stalls(learning_rate):
    """With the tolerance rule, training stops at the first iteration whose loss changes by less than it, in either
    direction: at η = 30 XOR's loss rises before it falls, and a rule on the signed change would stop there."""
    net = Network.random((2, 3, 1), seed=0)
    x, y = xor_data()
    history = train(net, x, y, learning_rate=learning_rate, max_iterations=5000, tolerance=1e-6)
    changes = np.abs(np.diff(history.losses))
    assert history.stop_reason == "tolerance"
    assert changes[-1] < 1e-6, f"stopped after {history.iterations} iterations on a change of {changes[-1]:.3g}"
    assert (changes[:-1] >= 1e-6).all()
    if learning_rate == 30.0:
        assert (np.diff(history.losses) > 0).any(), "the loss never rose: this case no longer tells |ΔC| from ΔC"


def test_train_steps_by_exactly_eta_times_the_gradient():
    """Each iteration of `train` is W ← W − η ∂C/∂W and b ← b − η ∂C/∂b with the batch-mean gradient (no η/N, no
    second 1/N): two iterations match two hand-written steps bit for bit."""
    x, y = xor_data()
    net, hand = Network.random((2, 3, 1), seed=0), Network.random((2, 3, 1), seed=0)
    train(net, x, y, learning_rate=0.7, max_iterations=2)
    for _ in range(2):
        g = hand.backward(x, y)
        hand = Network(
            [W - 0.7 * gW for W, gW in zip(hand.weights, g.weights)], [b - 0.7 * gb for b, gb in zip(hand.biases, g.biases)]
        )
    for got, want in zip(net.weights + net.biases, hand.weights + hand.biases):
        np.testing.assert_array_equal(got, want)


def test_history_records_every_iteration():
    """The history holds one loss per iteration, the first being the untrained network's."""
    net = Network.random((2, 3, 1), seed=0)
    x, y = xor_data()
    first = net.backward(x, y).loss
    history = train(net, x, y, learning_rate=2.0, max_iterations=25)
    assert history.iterations == 25 and history.stop_reason == "max_iterations"
    assert history.losses[0] == first


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved_end_to_end(dtype):
    """Parameters, forward values, gradients and trained parameters keep the network's dtype."""
    net = Network.random((2, 3, 1), seed=1, dtype=dtype)
    x, y = xor_data(dtype)
    zs, activations = net.forward(x)
    g = net.backward(x, y)
    train(net, x, y, learning_rate=1.0, max_iterations=3)
    arrays = [*net.weights, *net.biases, *zs, *activations, *g.deltas, *g.weights, *g.biases]
    assert {a.dtype for a in arrays} == {np.dtype(dtype)}
    assert isinstance(g.loss, float)


def test_same_seed_gives_bit_identical_results():
    """Network.random with the same seed (int or Generator) and the same training give identical bits."""
    runs = []
    for seed in (7, np.random.default_rng(7)):
        net = Network.random((3, 4, 2), seed=seed)
        x = np.random.default_rng(1).standard_normal((3, 5))
        y = np.random.default_rng(2).uniform(size=(2, 5))
        history = train(net, x, y, learning_rate=0.5, max_iterations=20)
        runs.append((history.losses, [W.tobytes() for W in net.weights], [b.tobytes() for b in net.biases]))
    assert runs[0] == runs[1]


def test_reference_imports_only_numpy_and_the_standard_library():
    """Every import in reference/ is numpy, the standard library or reference itself."""
    allowed = set(sys.stdlib_module_names) | {"numpy", "reference", "__future__"}
    offending = []
    for path in sorted(Path(__file__).parents[1].joinpath("reference").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            offending += [f"{path.name}:{node.lineno} imports {n}" for n in names if n.split(".")[0] not in allowed]
    assert not offending, "reference/ must import numpy and the standard library only: " + "; ".join(offending)


def test_the_oracles_take_only_data_types_from_the_reference():
    """crosscheck/oracles/ and crosscheck/counterparts.py import from reference/ only its data types (Gradients,
    Network as the holder of parameters and names) and call none of its activation, loss or backward code: only
    parameters, data and names cross over (DESIGN rule 1). The one exception, counterparts.registry_mismatches,
    reads the registries' names, kinks and element-wise flags and no formula."""
    root = Path(__file__).parents[1] / "crosscheck"
    formulas = {"function", "derivative", "cost", "gradient"}
    offending = []
    for path in [*sorted((root / "oracles").glob("*.py")), root / "counterparts.py"]:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "registry_mismatches":
                offending += [
                    f"{path.name}:{n.lineno} registry_mismatches reads .{n.attr}"
                    for n in ast.walk(node)
                    if isinstance(n, ast.Attribute) and n.attr in formulas
                ]
                node.body = []  # its registry imports are the exception
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "reference":
                taken = {alias.name for alias in node.names} - {"Gradients", "Network"}
                if node.module != "reference" or taken:
                    offending.append(f"{path.name}:{node.lineno} from {node.module} import {sorted(taken)}")
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "reference" for a in node.names):
                offending.append(f"{path.name}:{node.lineno} imports reference")
            holder = node.value if isinstance(node, ast.Attribute) else None
            if (
                holder is not None
                and node.attr in formulas
                and getattr(holder, "attr", "") in {"activation", "output_activation", "loss"}
            ):
                offending.append(f"{path.name}:{node.lineno} calls the reference's {holder.attr}.{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr == "backward" and "network" in ast.unparse(node.value):
                offending.append(f"{path.name}:{node.lineno} calls {ast.unparse(node)}")
    assert not offending, "an oracle reuses the code under test: " + "; ".join(offending)


@pytest.mark.parametrize(
    ("output", "loss"),
    [("sigmoid", "quadratic"), ("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"), ("tanh", "huber")],
)
def test_a_stack_of_networks_runs_through_the_same_backward_bit_for_bit(output, loss):
    """The reference over a stack of K networks of one shape (every array with a leading case axis) gives, case by
    case, exactly what it gives each network alone: the loss per case, every δ, ∂C/∂W and ∂C/∂b."""
    rng = np.random.default_rng(5)
    K, sizes, N = 6, (3, 4, 3), 5
    nets = [Network.random(sizes, seed=rng, activation="tanh", output_activation=output, loss=loss) for _ in range(K)]
    x = rng.standard_normal((K, sizes[0], N))
    y = (
        rng.dirichlet(np.ones(sizes[-1]), size=(K, N)).transpose(0, 2, 1)
        if loss == "cross_entropy"
        else rng.uniform(size=(K, sizes[-1], N))
    )
    stacked = Network(
        [np.stack([n.weights[i] for n in nets]) for i in range(2)],
        [np.stack([n.biases[i] for n in nets]) for i in range(2)],
        activation="tanh",
        output_activation=output,
        loss=loss,
    )
    assert stacked.stack == (K,) and stacked.sizes == sizes
    g = stacked.backward(x, y)
    assert g.loss.shape == (K,)
    for k, net in enumerate(nets):
        alone = net.backward(x[k], y[k])
        assert alone.loss == g.loss[k]
        for got, want in zip([*g.deltas, *g.weights, *g.biases], [*alone.deltas, *alone.weights, *alone.biases]):
            assert np.array_equal(got[k], want)


def test_a_stack_checks_its_inputs_like_one_network():
    """Bad input to a stack is refused by name: x without the stack's leading axis, y of another batch size."""
    stacked = Network([np.ones((2, 3, 2)), np.ones((2, 1, 3))], [np.zeros((2, 3, 1)), np.zeros((2, 1, 1))])
    with pytest.raises(ValueError, match=r"x must be a stack of shape \(2, '…', '…'\)"):
        stacked.backward(np.ones((2, 4)), np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"y must have shape \(2, 1, 4\)"):
        stacked.backward(np.ones((2, 2, 4)), np.ones((2, 1, 3)))


@pytest.mark.parametrize("stack", [False, True], ids=["one network", "a stack"])
@pytest.mark.parametrize(
    ("output", "loss"),
    [("sigmoid", "quadratic"), ("softmax", "cross_entropy"), ("identity", "huber")],
)
def test_backward_into_out_gives_the_same_gradients_bit_for_bit_in_outs_arrays(output, loss, stack):
    """backward(x, y, out=g) returns exactly what backward(x, y) returns, written into g's own arrays (a new
    loss with them), whatever g held before; a loop of such calls allocates no gradient arrays."""
    rng = np.random.default_rng(11)
    lead = (4,) if stack else ()
    sizes, N = (3, 5, 4, 3), 6
    weights = [rng.standard_normal((*lead, m, n)) for n, m in itertools.pairwise(sizes)]
    biases = [rng.standard_normal((*lead, m, 1)) for m in sizes[1:]]
    net = Network(weights, biases, activation="sigmoid", output_activation=output, loss=loss)
    x = rng.standard_normal((*lead, sizes[0], N))
    y = (
        np.moveaxis(rng.dirichlet(np.ones(sizes[-1]), size=(*lead, N)), -1, -2)
        if loss == "cross_entropy"
        else rng.uniform(size=(*lead, sizes[-1], N))
    )
    fresh = net.backward(x, y)
    out = net.backward(rng.standard_normal(x.shape), y)  # another batch's gradients: overwritten
    for array in [*out.deltas, *out.weights, *out.biases]:
        array[...] = np.nan
    arrays = [*out.deltas, *out.weights, *out.biases]
    got = net.backward(x, y, out=out)
    assert np.array_equal(got.loss, fresh.loss)
    for a, b, own in zip([*got.deltas, *got.weights, *got.biases], [*fresh.deltas, *fresh.weights, *fresh.biases], arrays):
        assert a is own, "backward(out=) returned an array that is not out's"
        assert np.array_equal(a, b), "backward(out=) differs from backward()"


def test_train_is_unchanged_by_reusing_its_gradient_arrays():
    """train passes each step's gradients as the next backward's out=: the losses and the trained parameters are
    exactly those of backward + step with new arrays every iteration."""
    x = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=float)
    y = np.array([[0, 1, 1, 0]], dtype=float)
    trained, by_hand = Network.random((2, 3, 1), seed=4), Network.random((2, 3, 1), seed=4)
    history = train(trained, x, y, learning_rate=2.0, max_iterations=25)
    losses = []
    for _ in range(25):
        g = by_hand.backward(x, y)
        losses.append(float(g.loss))
        by_hand.step(g, 2.0)
    assert history.losses == losses
    for a, b in zip([*trained.weights, *trained.biases], [*by_hand.weights, *by_hand.biases]):
        assert np.array_equal(a, b)
