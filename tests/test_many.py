"""`check_cases`: the full check for many cases at once, against `check_case` case by case."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import families, mixed_cases, record_worst, require

import crosscheck
from crosscheck import scales as scales_module
from crosscheck.case import Case, stacks
from crosscheck.mutants import MUTANTS
from crosscheck.oracles import ORACLES

pytestmark = [pytest.mark.torch, pytest.mark.jax]


@pytest.fixture(autouse=True)
def _frameworks():
    require("torch")
    require("jax")


def test_padded_groups_give_each_case_its_own_oracle_results_and_scales():
    """In a padded group, torch, JAX (both modes) and the scales give every case what they give it alone (no leak)."""
    cases = families(seed=1, count=12, per_family=6)
    groups = stacks(cases)
    assert max(len(members) for members, _ in groups) >= 2  # groups did form, and were padded:
    assert any(not stack.uniform for _, stack in groups)
    padded = [stack for _, stack in groups]
    computed = {name: [g for g, _ in ORACLES[name].compute(padded)] for name in ("torch", "jax", "jax_forward")}
    for index, (members, stack) in enumerate(groups):
        S = scales_module.stack_magnitudes(stack)
        for k, i in enumerate(members):
            case = cases[i]
            alone = scales_module.magnitudes(case)
            for name, grouped, single in (
                *(
                    (name, computed[name][index], crosscheck.oracle_gradients(name, case.network, case.x, case.y))
                    for name in computed
                ),
                ("scales", S, alone),
            ):
                mine = stack.unstacked(grouped, k)
                if name == "scales":
                    # The scales difference σ with a step h = 1e-4 (σ'' by a second
                    # difference): z rounded in another order moves them by up to about
                    # ε/h² ≈ 2e-8, relatively. Below √tiny (1e-154 in float64, 1e-19 in
                    # float32: dead units, zero inputs) the quadrature's squares underflow
                    # and its fallback |P||e|/√m counts the padded terms in m: such scales
                    # may differ by a few percent. A leak moves a scale by its own size.
                    floor = np.sqrt(np.finfo(case.network.dtype).tiny)
                    for got, want in zip(_tensors(mine), _tensors(single)):
                        np.testing.assert_allclose(got, want, rtol=1e-6, atol=floor, err_msg=f"scales of {case.label}")
                    continue
                comparison = crosscheck.compare(single, mine, case=case, oracle_name=f"{name} in a padded group")
                assert comparison.ok, comparison.report()


@pytest.mark.parametrize("one_call", [True, False], ids=["padded rows set to 1", "one output width at a time"])
def test_torch_gives_each_case_of_a_padded_stack_its_own_cost_and_gradients_either_way(monkeypatch, one_call):
    """torch over a stack of mixed output widths gives each case its cost and gradients alone, both with the padded
    output rows set to a = y = 1 in one call (a loss exactly 0 there) and one output width at a time (any other loss)."""
    from crosscheck.oracles import torch as torch_oracle

    if not one_call:
        monkeypatch.setattr(torch_oracle, "_zero_at_one", lambda loss, dtype: False)
    for loss in ("quadratic", "huber", "binary_cross_entropy"):
        cases = families(seed=3, count=2, per_family=8, loss=loss)
        groups = [(members, stack) for members, stack in stacks(cases) if len(set(stack.sizes[:, -1].tolist())) > 1]
        assert groups, f"no stack of mixed output widths for {loss}"
        for members, stack in groups:
            ((grouped, _),) = torch_oracle.gradients([stack])
            for k, i in enumerate(members):
                case = cases[i]
                single = crosscheck.oracle_gradients("torch", case.network, case.x, case.y)
                comparison = crosscheck.compare(single, stack.unstacked(grouped, k), case=case, oracle_name="torch, padded")
                assert comparison.ok, comparison.report()


def _tensors(g) -> list[np.ndarray]:
    return [np.asarray(g.loss), *g.deltas, *g.weights, *g.biases]


def test_thousands_of_cases_match_the_frameworks():
    """On 2,000 cases in 40 random families (depth, N, activations, loss, dtype) the reference agrees with torch and JAX."""
    cases = families(seed=2, count=40, per_family=50, depth=None, N=None)
    result = crosscheck.check_cases(cases)
    assert result.cleared == [], f"flagged in a padded group, passed alone: {[cases[i].label for i in result.cleared]}"
    for name in result.oracles:
        for dtype in (np.float64, np.float32):
            chosen = [w for w, c in zip(result.worst[name], cases) if c.network.dtype == dtype]
            record_worst(name, np.dtype(dtype), max(chosen))


def test_mixed_cases_match_the_frameworks_in_every_mode():
    """Cases that share nothing (each its own group) pass through all three autograd oracles."""
    result = crosscheck.check_cases(mixed_cases(3, 40), ["torch", "jax", "jax_forward"])
    assert result.cleared == []
    assert all(len(w) == 40 and (w <= 1).all() for w in result.worst.values())


@pytest.mark.slow
def test_check_cases_rejects_exactly_the_cases_check_case_rejects():
    """For every gradient mutant, the cases check_cases fails are those check_case fails, with check_case's report."""
    rejected_some = []
    for mutant in MUTANTS.values():
        if mutant.check != "gradients" or set(mutant.strategy) - {"activation", "output_activation", "loss"}:
            continue  # (updates, and the slips that need square layers, are check_case's alone)
        seed = sum(map(ord, mutant.name))
        cases = [Case(mutant.build(c.network), c.x, c.y, c.origin) for c in mixed_cases(seed, 24, **mutant.strategy)]
        cases = [c for c in cases if _runs(c)]
        result = crosscheck.check_cases(cases)
        alone = {i: crosscheck.check_case(c, ["torch", "jax"]) for i, c in enumerate(cases)}
        expected = [i for i, r in alone.items() if not r.ok]
        got = [cases.index(f.case) for f in result.failures]
        assert got == expected, f"{mutant.name}: check_cases rejected {got}, check_case {expected}"
        assert [f.report() for f in result.failures] == [alone[i].report() for i in expected]
        assert result.cleared == []
        rejected_some.append(bool(expected))
    # The comparison above is not vacuous: most mutants show on some of 24 random cases.
    assert sum(rejected_some) >= 0.8 * len(rejected_some), f"{sum(rejected_some)} of {len(rejected_some)} mutants showed"


def _runs(case: Case) -> bool:
    """Whether the (mutant) network's backward pass runs on the case without raising."""
    try:
        case.network.backward(case.x, case.y)
    except (ArithmeticError, ValueError, RuntimeWarning):  # (warnings are errors in the suite)
        return False
    return True


def test_a_failure_reads_as_check_cases_report():
    """The report names how many cases failed and gives the first one's full check_case report."""
    good = families(seed=4, count=1, per_family=3)
    bad = Case(MUTANTS["bp1_without_sigma_prime"].build(good[1].network), good[1].x, good[1].y, "planted")
    result = crosscheck.check_cases([good[0], bad, good[2]])
    assert not result.ok
    assert result.report().startswith("1 of 3 cases fail; the first:\n\n")
    assert result.failures[0].report() in result.report()
    assert "planted" in result.report()
    with pytest.raises(AssertionError, match="1 of 3 cases fail"):
        crosscheck.check_cases([good[0], bad, good[2]]).assert_ok()


def test_check_cases_refuses_unknown_oracles_and_runs_every_known_one():
    """An unknown oracle or no case at all is refused; finite differences run through the same pipeline."""
    with pytest.raises(ValueError, match=r"unknown oracle\(s\) \['tf'\]"):
        crosscheck.check_cases([], ["tf"])
    result = crosscheck.check_cases(mixed_cases(5, 6), ["torch", "numeric"])
    assert result.ok, result.report()
    assert all(len(w) == 6 for w in result.worst.values())
    with pytest.raises(ValueError, match="cases is empty: a check that compares nothing cannot fail"):
        crosscheck.check_cases([])
