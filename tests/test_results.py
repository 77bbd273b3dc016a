"""crosscheck.results: every kind of result names the implementation it judged, and its reproduction
snippet rebuilds the same failure when run on its own."""

from __future__ import annotations

import buggy
import numpy as np
import pytest
from helpers import framework_available

import crosscheck
from crosscheck.case import Case
from crosscheck.oracles import oracle_gradients
from reference import Network

pytestmark = pytest.mark.skipif(not framework_available("torch"), reason="the failures are judged against torch")


def _case(seed: int = 3) -> Case:
    network = Network.random((2, 3, 2), seed=seed)
    rng = np.random.default_rng(seed)
    return Case(network, rng.standard_normal((2, 4)), rng.uniform(size=(2, 4)))


def _rerun(snippet: str) -> str:
    """Run a reproduction in a fresh namespace; the report of the AssertionError it must raise."""
    with pytest.raises(AssertionError) as raised:
        exec(compile(snippet, "<reproduction>", "exec"), {"__name__": "reproduction"})
    return str(raised.value)


def _first_line(report: str) -> str:
    return report.splitlines()[0]


def test_a_check_case_reproduction_rebuilds_the_failure_around_your_implementation():
    """check_case's snippet rebuilds the case, makes your implementation and fails with the same first line."""
    implementation = crosscheck.implementation(buggy.sign)
    result = crosscheck.check_case(_case(), ["torch"], implementation=implementation)
    assert not result.ok and result.who == "your implementation"
    snippet = result.reproduction()
    assert "from buggy import sign" in snippet and "implementation=implementation" in snippet
    assert _first_line(_rerun(snippet)) == _first_line(result.report())


def test_a_check_cases_reproduction_rebuilds_its_first_failure():
    """check_cases' first failing case, rebuilt by its snippet, fails the same way."""
    implementation = crosscheck.implementation(buggy.sign)
    result = crosscheck.check_cases([_case(1), _case(2)], ["torch"], implementation=implementation)
    assert not result.ok and result.who == "your implementation"
    failure = result.failures[0]
    assert _first_line(_rerun(failure.reproduction())) == _first_line(failure.report())


def test_a_compare_reproduction_rebuilds_both_gradients_bit_for_bit():
    """compare's snippet rebuilds the two gradient sets it was given (not check_case on an oracle named 'oracle',
    which would check the reference instead) and fails with the same first line."""
    case = _case()
    tested = crosscheck.implementation(buggy.sign).backward(case)
    oracle = oracle_gradients("torch", case.network, case.x, case.y)
    implementation = crosscheck.implementation(buggy.sign)
    result = crosscheck.compare(tested, oracle, case=case, implementation=implementation)
    assert not result.ok and result.who == "your implementation"
    snippet = result.reproduction()
    assert "check_case" not in snippet and "crosscheck.compare(tested, oracle" in snippet
    assert _first_line(_rerun(snippet)) == _first_line(result.report(reproduce=False))


def test_a_compare_reproduction_keeps_a_tolerance_override():
    """A compare with its own tolerances rebuilds with the same tolerances, so the rebuilt failure is the same."""
    case = _case()
    tested = crosscheck.implementation(buggy.sign).backward(case)
    oracle = oracle_gradients("torch", case.network, case.x, case.y)
    result = crosscheck.compare(tested, oracle, case=case, tolerances=crosscheck.Tolerance(rtol=1e-3))
    assert "tolerances=crosscheck.Tolerance(rtol=0.001" in result.reproduction()
    assert _first_line(_rerun(result.reproduction())) == _first_line(result.report(reproduce=False))


def test_a_step_check_reproduction_reruns_the_update_not_the_gradients():
    """step_check's snippet calls step_check with the same oracle and learning rate around your update (check_case on
    the gradients would pass: the update is what fails)."""
    implementation = crosscheck.implementation(buggy.correct, update=buggy.ascent_update)
    result = crosscheck.step_check(_case(), "torch", 0.25, implementation=implementation)
    assert not result.ok and result.who == "your implementation"
    snippet = result.reproduction()
    assert "crosscheck.step_check(case, 'torch', 0.25, implementation=implementation)" in snippet
    assert "update=ascent_update" in snippet
    assert _first_line(_rerun(snippet)) == _first_line(result.report(reproduce=False))


def test_a_check_implementation_reproduction_rebuilds_the_shrunk_case():
    """check_implementation's shrunk counterexample, rebuilt by its snippet, fails with the same first line."""
    result = crosscheck.check_implementation(buggy.sign, cases=20)
    assert not result.ok and result.failure is not None
    assert _first_line(_rerun(result.failure.reproduction())) == _first_line(result.failure.report())


def test_the_reference_is_named_the_reference():
    """A result on the reference speaks of the reference, from the implementation alone (no separate name field)."""
    result = crosscheck.check_case(_case(), ["torch"])
    assert result.ok and result.who == "the reference" and result.implementation is crosscheck.REFERENCE
    assert result.comparisons["torch"].who == "the reference"
