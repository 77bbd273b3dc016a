"""The strategies themselves: validation, ranges, valid combinations, shrinking, coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from crosscheck import counterparts
from crosscheck.strategies import cases, compatible_losses, hidden_activations
from reference import ACTIVATIONS, LOSSES

# (id, keyword arguments, error, words the message must contain)
BAD_ARGUMENTS = [
    ("min_layers 0", {"min_layers": 0}, ValueError, ["min_layers=0", "at least 1"]),
    ("min above max layers", {"min_layers": 3, "max_layers": 2}, ValueError, ["min_layers=3", "max_layers=2"]),
    ("width as str", {"max_width": "8"}, TypeError, ["max_width", "'8'"]),
    ("bool batch", {"min_batch": True}, TypeError, ["min_batch", "True"]),
    ("min above max batch", {"min_batch": 9, "max_batch": 8}, ValueError, ["min_batch=9", "max_batch=8"]),
    ("int dtype", {"dtype": "int32"}, ValueError, ["dtype", "int32"]),
    ("not a dtype", {"dtype": "double precision"}, TypeError, ["dtype", "double precision"]),
    ("unknown activation", {"activation": "swish"}, ValueError, ["activation='swish'", "known", "sigmoid"]),
    ("unknown loss", {"loss": "l1"}, ValueError, ["loss='l1'", "quadratic"]),
    ("softmax hidden", {"activation": "softmax"}, ValueError, ["activation='softmax'", "output_activation"]),
    (
        "cross-entropy on relu",
        {"loss": "cross_entropy", "output_activation": "relu"},
        ValueError,
        ["loss='cross_entropy'", "'softmax'", "'relu'"],
    ),
    ("saturate as str", {"saturate": "no"}, TypeError, ["saturate", "'no'"]),
]


@pytest.mark.parametrize(("kwargs", "error", "words"), [b[1:] for b in BAD_ARGUMENTS], ids=[b[0] for b in BAD_ARGUMENTS])
def test_bad_arguments_fail_when_the_strategy_is_built(kwargs, error, words):
    """Each bad argument raises at build time (not at draw time), naming the argument and the value."""
    with pytest.raises(error) as info:
        cases(**kwargs)
    missing = [w for w in words if w not in str(info.value)]
    assert not missing, f"{str(info.value)!r} lacks {missing}"


@given(cases(min_layers=2, max_layers=3, min_width=2, max_width=4, min_batch=3, max_batch=5, dtype=np.float32))
def test_drawn_cases_respect_the_requested_ranges(case):
    """Depth, every width, the batch size and the dtype stay within the arguments."""
    sizes = case.network.sizes
    assert 2 <= len(sizes) - 1 <= 3
    assert all(2 <= n <= 4 for n in sizes)
    assert 3 <= case.x.shape[1] <= 5
    assert {case.x.dtype, case.y.dtype, case.network.dtype} == {np.dtype(np.float32)}


@given(cases())
def test_drawn_cases_are_valid_for_the_reference(case):
    """Every drawn case is one the reference accepts: valid pairing, targets in the loss's domain, finite loss."""
    network = case.network
    assert network.activation.name in hidden_activations()
    assert network.loss.name in compatible_losses(network.output_activation.name)
    gradients = network.backward(case.x, case.y)
    assert np.isfinite(gradients.loss)


def test_failures_shrink_to_small_networks():
    """A property failing from three weight layers on shrinks to exactly three layers of width 1 and one sample."""
    minimal = find(cases(), lambda c: c.network.L - 1 >= 3, settings=settings(database=None, max_examples=500))
    assert minimal.network.sizes == (1, 1, 1, 1)
    assert minimal.x.shape == (1, 1)
    assert minimal.network.dtype == np.float64


def _find(condition, **kwargs):
    """The first drawn case meeting `condition` (no shrinking: these tests only ask that one exists)."""
    config = settings(database=None, max_examples=2000, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    return find(cases(**kwargs), condition, settings=config)


def test_cases_reach_saturation():
    """Some drawn case drives a layer to |z| ≥ 25 (a saturated sigmoid)."""
    _find(lambda c: max(float(np.abs(z).max()) for z in c.network.forward(c.x)[0]) >= 25, activation="sigmoid")


def test_cases_contain_exact_zeros():
    """Some drawn case has exact zeros among its weights, biases and inputs, not all of them zero."""
    _find(lambda c: 0 < np.count_nonzero(c.network.weights[0] == 0) < c.network.weights[0].size and (c.x == 0).any())


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_is_drawn_as_output(name):
    """Each registered activation is drawn as an output activation when none is requested."""
    _find(lambda c: c.network.output_activation.name == name)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_is_drawn(name):
    """Each registered loss is drawn when none is requested, with targets from its counterpart."""
    case = _find(lambda c: c.network.loss.name == name)
    case.network.loss.check_targets(case.y)


def test_only_valid_pairings_exist():
    """softmax is output-only; cross_entropy needs softmax, binary_cross_entropy needs sigmoid, others take any output."""
    assert "softmax" not in hidden_activations()
    for output in ACTIVATIONS:
        allowed = set(compatible_losses(output))
        assert {"quadratic", "huber"} <= allowed
        assert ("cross_entropy" in allowed) == (output == "softmax")
        assert ("binary_cross_entropy" in allowed) == (output == "sigmoid")
    assert set(counterparts.LOSSES) == set(LOSSES)


def test_a_single_class_target_is_exactly_one():
    """Probability targets sum to 1 by construction, so a one-output softmax's target is exactly 1 in every draw:
    code that takes Σy = 1 (δ^L = a − y) is then right, where NumPy's Dirichlet alone gave 0.9999999999999999 in
    804 of 6,000 draws and a one-class softmax's true gradient a·Σy − y = 1e-16 against its 0."""
    from crosscheck import counterparts

    targets = counterparts.loss("cross_entropy").targets
    for seed in range(2000):
        y = targets(np.random.default_rng(seed), (1, 3))
        assert np.all(y == 1.0), (seed, y)
        many = targets(np.random.default_rng(seed), (4, 3))
        assert np.all(many >= 0) and np.allclose(many.sum(axis=0), 1.0, rtol=0, atol=4e-16), many
