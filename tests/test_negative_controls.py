"""Negative controls: every plausible wrong derivation is rejected, by each oracle on its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import framework_available, oracle_params
from hypothesis import given

import reference
from crosscheck import mutants
from crosscheck.certificate.controls import hunt
from crosscheck.mutants import MUTANTS
from crosscheck.strategies import cases

ORACLES = ("torch", "jax", "jax_forward", "numeric")


@given(case=cases())
def test_the_mutants_base_is_the_reference_bit_for_bit(case):
    """Without a slip, the mutants' restated backward pass gives exactly the reference's bits."""
    restated = mutants._Backprop(
        case.network.weights,
        case.network.biases,
        activation=case.network.activation.name,
        output_activation=case.network.output_activation.name,
        loss=case.network.loss.name,
    ).backward(case.x, case.y)
    real = case.network.backward(case.x, case.y)
    assert restated.loss == real.loss
    for quantity in ("deltas", "weights", "biases"):
        for got, want in zip(getattr(restated, quantity), getattr(real, quantity)):
            assert got.tobytes() == want.tobytes(), quantity


SHRINKER = {name: ORACLES[i % len(ORACLES)] for i, name in enumerate(sorted(MUTANTS))}
"""The oracle whose counterexample is shrunk, per mutant: each oracle in turn, so every
oracle shrinks six or seven mutants (shrinking every pair would double the suite's time
for little: shrinking is Hypothesis's and the strategy's work, the same for all)."""


@pytest.mark.parametrize("oracle", oracle_params(ORACLES))
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_every_mutant_is_caught(name, oracle):
    """The oracle alone rejects the mutant within 500 drawn cases, by a comparison (not an exception); shrunk
    (SHRINKER), the counterexample is a tiny network."""
    shrink = SHRINKER[name] == oracle
    catch = hunt(MUTANTS[name], oracle, shrink=shrink)
    assert catch is not None, f"{oracle} never rejected the mutant {name!r}: {MUTANTS[name].description}"
    assert catch.message, "a catch must carry the failure's report line"
    assert not catch.message.startswith("the mutant raised"), f"caught only by an exception, not by a comparison: {catch.message}"
    if shrink:
        assert sum(catch.counterexample.network.sizes) <= 12, f"counterexample not shrunk: {catch.counterexample.label}"


def test_every_catalogue_entry_has_a_wrong_derivative_mutant():
    """Each activation and each loss of the reference's registries (as they are now, entries added at run time
    included) has a mutant with a plausibly wrong hand-derived derivative, so adding an entry without one fails."""
    missing = [
        f"wrong_{name}_derivative (mutants.add_wrong_derivative or CATALOGUE_SLIPS)"
        for name in reference.ACTIVATIONS
        if f"wrong_{name}_derivative" not in MUTANTS
    ]
    missing += [
        f"wrong_{name}_gradient (mutants.add_wrong_derivative or LOSS_SLIPS)"
        for name in reference.LOSSES
        if f"wrong_{name}_gradient" not in MUTANTS
    ]
    assert not missing, f"add a wrong-derivative mutant in crosscheck/mutants.py: {', '.join(missing)}"


def test_an_entry_added_without_a_mutant_is_named(monkeypatch):
    """A new activation with no wrong-derivative mutant makes the coverage test fail, naming what to add."""
    from reference import activations

    monkeypatch.setitem(activations.ACTIVATIONS, "only_in_this_test", activations.ACTIVATIONS["tanh"])
    with pytest.raises(AssertionError, match=r"wrong_only_in_this_test_derivative \(mutants.add_wrong_derivative"):
        test_every_catalogue_entry_has_a_wrong_derivative_mutant()


def test_mutants_are_kept_apart_from_the_reference():
    """No mutant lives in, or is importable from, the reference package."""
    assert not hasattr(reference, "mutants")
    assert all(m.network.__module__ == "crosscheck.mutants" for m in MUTANTS.values())
    assert not list(Path(reference.__file__).parent.glob("*mutant*"))


def test_mutants_change_the_result():
    """Each mutant differs from the reference on some plain case (a mutant equal to the reference would be vacuous)."""
    from crosscheck.case import Case
    from reference import Network

    for mutant in MUTANTS.values():
        strategy = mutant.strategy
        width = 3
        depth = 2
        loss = strategy.get("loss", "quadratic")
        network = Network.random(
            (width,) * (depth + 1),
            seed=1,
            activation=strategy.get("activation", "sigmoid"),
            output_activation=strategy.get("output_activation") or reference.LOSSES[loss].output,
            loss=loss,
        )
        x = np.random.default_rng(2).standard_normal((width, 4))
        y = np.random.default_rng(3).uniform(size=(width, 4))
        if network.output_activation.name == "softmax":
            y = y / y.sum(axis=0)
        if loss == "huber":
            y = 6 * y - 3  # residuals beyond the knee at ±1, where the clip matters
        bad = mutant.build(network)
        if mutant.check == "step":
            before = [W.copy() for W in bad.weights]
            bad.step(bad.backward(x, y), 0.5)
            good = network.copy()
            good.step(good.backward(x, y), 0.5)
            assert any(not np.array_equal(a, b) for a, b in zip(bad.weights, good.weights)), mutant.name
            assert any(not np.array_equal(a, b) for a, b in zip(bad.weights, before))
            continue
        got, want = bad.backward(x, y), network.backward(x, y)
        differs = got.loss != want.loss or any(
            not np.array_equal(a, b) for q in ("deltas", "weights", "biases") for a, b in zip(getattr(got, q), getattr(want, q))
        )
        assert differs, f"{mutant.name} computes exactly what the reference computes"
        assert Case(network, x, y).network is network


@pytest.mark.skipif(not framework_available("torch"), reason="the errata are generated with the torch oracle")
def test_errata_are_generated_from_the_suite():
    """docs/ERRATA.md is exactly what `python -m crosscheck.certificate.errata` writes now (it is generated, not typed in)."""
    from crosscheck.certificate.errata import generate

    path = Path(__file__).parents[1] / "docs" / "ERRATA.md"
    assert path.read_text() == generate(), "docs/ERRATA.md is stale: run `python -m crosscheck.certificate.errata`"
