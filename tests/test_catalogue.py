"""The catalogue: every activation and loss against every oracle, kinks, domains, and the extension path."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import available_oracles, families, oracle_params, require
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import crosscheck
from crosscheck import counterparts
from crosscheck.case import Case
from crosscheck.strategies import cases, hidden_activations
from reference import ACTIVATIONS, LOSSES, Network
from reference import activations as reference_activations


def test_registries_match():
    """Every reference activation and loss has a counterpart and vice versa, with the same kinks."""
    problems = counterparts.registry_mismatches()
    assert not problems, "\n".join(problems)


@pytest.mark.torch
@pytest.mark.jax
@pytest.mark.parametrize("kind", ["activation", "loss"])
def test_every_counterpart_keeps_float32_in_float32(kind):
    """Each counterpart's torch and JAX σ or C of float32 arrays is float32: a float64 constant in one (np.log(2) is
    one; math.log(2) is not) would promote a float32 case, and JAX's switch over the catalogue refuses mixed types."""
    require("torch")
    require("jax")
    import jax
    import torch

    jax.config.update("jax_enable_x64", True)
    x = np.array([[0.3, -0.2], [0.25, 0.6]], dtype=np.float32)
    a = np.array([[0.3, 0.6], [0.7, 0.4]], dtype=np.float32)  # outputs every loss accepts: columns sum to 1
    y = np.array([[0.5, 0.5], [0.5, 0.5]], dtype=np.float32)
    mask = np.ones_like(x)
    promoting = []
    for name in ACTIVATIONS if kind == "activation" else LOSSES:
        if kind == "activation":
            entry = counterparts.activation(name)
            by_torch, by_jax = entry.torch(torch.from_numpy(x)), entry.jax(jax.numpy.asarray(x), jax.numpy.ones((2, 1), bool))
        else:
            entry = counterparts.loss(name)
            by_torch = entry.torch(torch.from_numpy(a), torch.from_numpy(y))
            by_jax = entry.jax(jax.numpy.asarray(a), jax.numpy.asarray(y), jax.numpy.asarray(mask))
        promoting += [
            f"{name}'s {fw} counterpart ({got})"
            for fw, got in (("torch", by_torch.dtype), ("jax", by_jax.dtype))
            if str(got).removeprefix("torch.") != "float32"
        ]
    assert not promoting, f"float32 in, not float32 out: {', '.join(promoting)}; write constants as Python floats"


# Every oracle, finite differences included, on Hypothesis-drawn (and shrunk) cases of each
# entry: a third of the profile's examples per entry, since the test below sends every
# combination of entries through torch and JAX by the thousand.
PER_ENTRY = settings(max_examples=max(10, settings.default.max_examples // 3))


@pytest.mark.torch
@pytest.mark.jax
@pytest.mark.slow  # about 5 s: every hidden, output and loss entry together
def test_every_combination_of_entries_matches_the_frameworks():
    """Every (hidden, output, loss, dtype) of the catalogue, 8 cases of random widths each, agrees with torch and JAX."""
    require("torch")
    require("jax")
    from crosscheck import check_cases

    cases = families(seed=11, count=None, per_family=8, depth=None, N=None)
    result = check_cases(cases).assert_ok()
    assert result.cleared == [], f"flagged in a padded group, passed alone: {[cases[i].label for i in result.cleared]}"


@pytest.mark.parametrize("name", hidden_activations())
@PER_ENTRY
@given(data=st.data())
def test_hidden_activation_matches_every_oracle(name, data):
    """With `name` in the hidden layers, every oracle that can run agrees with the reference."""
    crosscheck.check_case(data.draw(cases(activation=name, max_layers=3)), available_oracles()).assert_ok()


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@PER_ENTRY
@given(data=st.data())
def test_output_activation_matches_every_oracle(name, data):
    """With `name` at the output, every oracle that can run agrees with the reference."""
    crosscheck.check_case(data.draw(cases(output_activation=name, max_layers=3)), available_oracles()).assert_ok()


@pytest.mark.parametrize("name", sorted(LOSSES))
@PER_ENTRY
@given(data=st.data())
def test_loss_matches_every_oracle(name, data):
    """With the cost `name`, every oracle that can run agrees with the reference."""
    crosscheck.check_case(data.draw(cases(loss=name, max_layers=3)), available_oracles()).assert_ok()


@pytest.mark.parametrize(("name", "slope"), [("relu", 0.0), ("leaky_relu", 0.01)])
def test_kink_convention_is_the_left_slope(name, slope):
    """At z = 0 the reference takes σ'(0) = the slope for z < 0: PyTorch's value for relu and leaky_relu, JAX's for relu."""
    entry = ACTIVATIONS[name]
    z = np.zeros((1, 1))
    assert entry.derivative(z, entry.function(z))[0, 0] == slope


@pytest.mark.parametrize("oracle", oracle_params())
@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_cases_exactly_on_a_kink_are_still_checked(oracle, name):
    """With every z^2 exactly 0, the frameworks agree with the reference; finite differences skip those elements."""
    rng = np.random.default_rng(5)
    weights = [np.zeros((3, 2)), rng.standard_normal((2, 3))]
    biases = [np.zeros((3, 1)), rng.standard_normal((2, 1))]
    network = Network(weights, biases, activation=name, output_activation="identity")
    case = Case(network, rng.standard_normal((2, 4)), rng.standard_normal((2, 4)))
    assert not np.any(network.forward(case.x)[0][0])
    result = crosscheck.check_case(case, [oracle]).assert_ok()
    skipped = sum(t.skipped for t in result.comparisons[oracle].tensors)
    if oracle == "numeric":
        assert skipped > 0
    else:
        assert skipped == 0


@pytest.mark.parametrize(
    ("loss", "y", "words"),
    [
        ("binary_cross_entropy", [[1.5, 0.0]], ["y must lie in [0, 1]", "1.5"]),
        ("cross_entropy", [[0.2, 1.0], [0.2, 0.0]], ["sum to 1", "column 0", "0.4"]),
        ("cross_entropy", [[-0.5, 1.0], [1.5, 0.0]], ["non-negative", "-0.5"]),
    ],
)
def test_targets_outside_the_domain_are_refused(loss, y, words):
    """Targets outside a loss's domain raise ValueError saying what is wrong."""
    output = LOSSES[loss].output
    network = Network.random((2, len(y)), seed=0, output_activation=output, loss=loss)
    with pytest.raises(ValueError) as info:
        network.backward(np.zeros((2, 2)), np.array(y, dtype=float))
    missing = [w for w in words if w not in str(info.value)]
    assert not missing, f"{info.value} lacks {missing}"


def test_an_infinite_cost_is_refused():
    """A sigmoid output saturated to exactly 1 with a target of 0 makes BCE infinite: a ValueError, not inf or NaN."""
    network = Network([np.array([[100.0]])], [np.array([[0.0]])], loss="binary_cross_entropy")
    with pytest.raises(ValueError, match=r"binary_cross_entropy is infinite: the output a\^L\[0, 0\] = 1.0"):
        network.backward(np.array([[1.0]]), np.array([[0.0]]))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"activation": "softmax"}, ["'softmax'", "not element-wise", "output_activation"]),
        ({"loss": "cross_entropy"}, ["'cross_entropy'", "needs output_activation 'softmax'", "'sigmoid'"]),
        ({"output_activation": "tanh", "loss": "binary_cross_entropy"}, ["needs output_activation 'sigmoid'"]),
    ],
)
def test_invalid_pairings_are_refused(kwargs, words):
    """softmax as a hidden activation, and a log loss on the wrong output, raise ValueError explaining why."""
    with pytest.raises(ValueError) as info:
        Network.random((2, 3, 2), seed=0, **kwargs)
    missing = [w for w in words if w not in str(info.value)]
    assert not missing, f"{info.value} lacks {missing}"


# --- the extension path, exactly as the README's "Adding an activation or a loss" -------
def softsign(z):
    return z / (1 + np.abs(z))


def softsign_derivative(z, a):
    return 1 / (1 + np.abs(z)) ** 2


SOFTSIGN = reference_activations.Activation("softsign", softsign, softsign_derivative, "σ(z) = z/(1 + |z|), σ'(z) = 1/(1 + |z|)²")
SOFTSIGN_COUNTERPART = counterparts.ActivationCounterpart(
    "softsign",
    torch=lambda z: counterparts.torch_functional().softsign(z),
    jax=counterparts.jax_elementwise(lambda z: counterparts.jax_nn().soft_sign(z)),
    numpy=lambda z: z / (1 + np.abs(z)),
    derivative_error=lambda z, a: np.ones_like(z),
    nonsmooth=(0.0,),  # σ'' jumps at 0
)

_quick = settings(max_examples=40, database=None, deadline=None, suppress_health_check=list(HealthCheck))


def _check_softsign():
    @_quick
    @given(cases(activation="softsign", max_layers=3))
    def property_check(case):
        crosscheck.check_case(case, available_oracles()).assert_ok()

    property_check()


def test_adding_an_activation_takes_one_entry_on_each_side(monkeypatch):
    """With softsign added to both registries, the existing property checks pass on it unchanged."""
    monkeypatch.setitem(reference_activations.ACTIVATIONS, "softsign", SOFTSIGN)
    monkeypatch.setitem(counterparts.ACTIVATIONS, "softsign", SOFTSIGN_COUNTERPART)
    assert not counterparts.registry_mismatches()
    assert "softsign" in hidden_activations()
    _check_softsign()


def test_an_activation_added_at_run_time_is_drawn(monkeypatch):
    """cases() built its strategies before softsign was added; afterwards it draws softsign as a hidden activation."""
    config = settings(database=None, max_examples=2000, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    find(cases(), lambda case: True, settings=config)  # the strategies for the catalogue as it was
    monkeypatch.setitem(reference_activations.ACTIVATIONS, "softsign", SOFTSIGN)
    monkeypatch.setitem(counterparts.ACTIVATIONS, "softsign", SOFTSIGN_COUNTERPART)
    find(cases(), lambda case: case.network.activation.name == "softsign", settings=config)


def test_an_entry_on_one_side_only_names_the_missing_counterpart(monkeypatch):
    """An activation in reference/ alone: the registry check and the oracles name the missing counterpart and where to add it."""
    monkeypatch.setitem(
        reference_activations.ACTIVATIONS, "only_in_this_test", dataclasses.replace(SOFTSIGN, name="only_in_this_test")
    )
    assert (
        "the reference's activation 'only_in_this_test' has no counterpart: add a ActivationCounterpart named "
        "'only_in_this_test' to ACTIVATIONS in crosscheck/counterparts.py"
    ) in counterparts.registry_mismatches()
    case = Case(Network.random((2, 2, 1), seed=0, activation="only_in_this_test"), np.ones((2, 1)), np.zeros((1, 1)))
    with pytest.raises(counterparts.MissingCounterpart, match="add an ActivationCounterpart named 'only_in_this_test'"):
        crosscheck.check_case(case, ["numeric"])


def test_a_wrong_derivative_fails_with_a_shrunk_counterexample(monkeypatch):
    """softsign with σ'(z) = 1/(1 + |z|) (square forgotten) fails, and the counterexample is a one-layer network."""
    wrong = reference_activations.Activation("softsign", softsign, lambda z, a: 1 / (1 + np.abs(z)), "wrong")
    monkeypatch.setitem(reference_activations.ACTIVATIONS, "softsign", wrong)
    monkeypatch.setitem(counterparts.ACTIVATIONS, "softsign", SOFTSIGN_COUNTERPART)
    with pytest.raises(AssertionError) as info:
        _check_softsign()
    report = str(info.value)
    assert "the reference is wrong" in report or "disagrees with the reference" in report
    assert "softsign" in report
    assert "crosscheck.check_case(case" in report


def _logcosh(a, y):
    return float(np.sum(np.logaddexp(a - y, y - a) - np.log(2.0)) / a.shape[1])


def _logcosh_gradient(a, y):
    return np.tanh(a - y) / a.shape[1]


def _logcosh_counterpart(scale: float):
    """log-cosh's oracles' side: neither framework has it, so both are expressions written here (`scale` slips them)."""

    def torch_cost(a, y):
        import torch

        return scale * torch.sum(torch.log(torch.cosh(a - y))) / a.shape[-1]

    def jax_cost(a, y, mask):
        import jax.numpy as jnp

        return scale * jnp.sum(mask * jnp.log(jnp.cosh(a - y))) / jnp.max(mask, axis=-2).sum()

    return counterparts.LossCounterpart(
        "logcosh",
        torch=torch_cost,
        jax=jax_cost,
        numpy_per_sample=lambda a, y: scale * np.sum(np.log(np.cosh(a - y)), axis=-2) / a.shape[-1],
        gradient_scale=lambda a, y, E: (1.0 + E) / a.shape[-1],
        targets=lambda rng, shape: rng.normal(0.0, 1.0, size=shape),
        hand_written=("torch", "jax"),
    )


@pytest.mark.torch
@pytest.mark.jax
def test_a_disagreement_resting_only_on_hand_written_counterparts_blames_no_one(monkeypatch):
    """With log-cosh's torch and JAX sides both hand-written, a disagreement says the counterparts and the reference
    disagree and shows both errors, instead of "the reference is wrong"; the catalogue's built-in losses still blame."""
    require("torch")
    require("jax")
    from reference import losses as reference_losses

    monkeypatch.setitem(
        reference_losses.LOSSES, "logcosh", reference_losses.Loss("logcosh", _logcosh, _logcosh_gradient, "log cosh")
    )
    monkeypatch.setitem(counterparts.LOSSES, "logcosh", _logcosh_counterpart(1.0 + 1e-6))  # the counterparts are off
    network = Network.random((2, 3, 2), seed=0, loss="logcosh")
    case = Case(network, np.ones((2, 3)), np.full((2, 3), 0.25))
    result = crosscheck.check_case(case, ["torch", "jax"])
    assert not result.ok
    verdict = result.verdict()
    assert "each rests on hand-written counterparts (logcosh)" in verdict, verdict
    assert "is wrong" not in verdict and "|diff|" in verdict and "torch:" in verdict and "jax:" in verdict
    # Built-in counterparts keep the blame: a wrong quadratic gradient in the reference is "the reference is wrong".
    from crosscheck.mutants import MUTANTS

    quadratic = Case(
        MUTANTS["wrong_quadratic_gradient"].build(Network.random((2, 3, 2), seed=0)), np.ones((2, 3)), np.zeros((2, 3))
    )
    assert "the reference is wrong" in crosscheck.check_case(quadratic, ["torch", "jax"]).verdict()


def test_a_loss_counterpart_can_declare_its_rounding():
    """A loss counterpart's declared rounding of C and of ∇_a C widens exactly the cost's and δ^L's scales."""
    import dataclasses

    from crosscheck import scales

    case = Case(Network.random((2, 3, 2), seed=0), np.ones((2, 3)), np.full((2, 3), 0.25))
    plain = scales.magnitudes(case)
    declared = dataclasses.replace(
        counterparts.LOSSES["quadratic"],
        function_error=lambda a, y: np.full_like(a, 1e6),
        gradient_error=lambda a, y: np.full_like(a, 1e6),
    )
    original = counterparts.LOSSES["quadratic"]
    counterparts.LOSSES["quadratic"] = declared
    try:
        widened = scales.magnitudes(case)
    finally:
        counterparts.LOSSES["quadratic"] = original
    assert widened.loss >= plain.loss + 6 * 1e6 * 0.999
    assert np.all(widened.deltas[-1] > plain.deltas[-1])
