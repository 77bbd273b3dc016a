"""The symbolic tier (crosscheck.proof, issue 27, in progress): the reference's own backward,
run on arrays of SymPy symbols with σ and C undefined, equals SymPy's derivative of C through
an independent forward pass, and a wrong formula leaves a non-zero residual named by its equation."""

from __future__ import annotations

import pytest

from crosscheck import mutants
from crosscheck.proof import available

pytestmark = pytest.mark.skipif(not available(), reason="the symbolic tier needs SymPy: pip install sympy")


@pytest.mark.parametrize(("sizes", "N"), [((1, 1), 1), ((2, 3), 2), ((1, 2, 3), 2), ((2, 2, 2, 1), 1), ((3, 2, 2), 3)])
def test_the_reference_backward_is_an_identity_for_any_sigma_and_cost(sizes, N):
    """δ^l, ∂C/∂b^l and ∂C/∂W^l of the reference's code equal SymPy's derivatives, exactly, for undefined σ, τ and C."""
    from crosscheck.proof import identities
    from reference import Network

    outcome = identities.run(Network, sizes, N)
    assert outcome.ok, f"{outcome.failed} ({outcome.equation}) at {outcome.element}: residual {outcome.residual}"
    assert len(outcome.proven) == 1 + 3 * (len(sizes) - 1)


def test_softmax_bp1_with_the_reference_jacobian_is_an_identity():
    """BP1 with softmax, computed by the reference's own Jacobian code, equals SymPy's derivative of C(softmax(z))."""
    from crosscheck.proof import identities
    from reference import Network

    outcome = identities.run(Network, (2, 3), 2, output="softmax")
    assert outcome.ok, f"{outcome.failed} ({outcome.equation}): residual {outcome.residual}"


@pytest.mark.parametrize(
    ("name", "sizes", "equation"),
    [
        ("bp1_without_sigma_prime", (2, 2), "BP1"),
        ("bp2_weights_not_transposed", (2, 2, 2), "BP2"),
        ("bp2_sigma_prime_one_layer_up", (2, 2, 2), "BP2"),
        ("literal_recursion", (1, 2, 2), "BP2"),
        ("bp3_mean", (1, 2), "BP3"),
        ("bp3_first_sample", (1, 2), "BP3"),
        ("bp4_current_activation", (2, 2), "BP4"),
        ("wrong_sign_error", (1, 2), "BP1"),
        ("one_over_n_twice", (1, 2), "BP1"),
    ],
)
def test_a_formula_mutant_leaves_a_residual_at_its_equation(name, sizes, equation):
    """Each formula mutant's backward, on the same symbols, is refuted at the equation it breaks, with a non-zero residual."""
    from crosscheck.proof import identities

    outcome = identities.run(mutants.MUTANTS[name].network, sizes, 2)
    assert not outcome.ok, f"{name} was proven: the symbolic tier cannot see its slip"
    assert outcome.equation == equation, f"{name}: refuted at {outcome.failed} ({outcome.equation}), not {equation}"
    assert outcome.residual != 0


def test_breaking_one_line_of_the_reference_bp3_is_named(monkeypatch):
    """With the reference's BP3 line replaced by a mean (numeric checks not involved), the tier fails and names BP3."""
    import numpy as np

    from crosscheck.proof import identities
    from reference import Network

    original = np.sum

    def mean_instead(a, axis=None, keepdims=False, out=None):
        return original(a, axis=axis, keepdims=keepdims, out=out) / a.shape[-1]

    monkeypatch.setattr("reference.network.np.sum", mean_instead)
    outcome = identities.run(Network, (1, 2), 2)
    assert not outcome.ok and outcome.equation == "BP3", outcome


def test_the_truth_never_reuses_the_formula_under_test(monkeypatch):
    """A wrong softmax Jacobian in the reference's registry is refuted at BP1: the tier runs it as the code under
    test, and its truth (SymPy's derivative of a softmax written in crosscheck) does not reuse it (DESIGN rule 1)."""
    import ast
    import dataclasses
    from pathlib import Path

    import numpy as np

    from crosscheck.proof import identities
    from reference import Network
    from reference import activations as reference_activations

    source = Path(identities.__file__).read_text()
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"reference.activations", "reference.losses"}, "the proof tier imports the reference's formulas"
    right = reference_activations.ACTIVATIONS["softmax"]
    wrong = dataclasses.replace(right, derivative=lambda z, a: np.swapaxes(right.derivative(z, a), -1, -2) * 2)
    monkeypatch.setitem(reference_activations.ACTIVATIONS, "softmax", wrong)
    outcome = identities.run(Network, (1, 2), 1, output="softmax")
    assert not outcome.ok and outcome.equation == "BP1", outcome
