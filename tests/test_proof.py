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


def test_the_plan_covers_every_width_pair_and_sample_count():
    """The lemma networks (1, p, q) take every p, q in 1-6 at N = 1, 2, 3, softmax every width 1-6, and the whole
    networks 1-4 weight layers of widths ≤ 3: the plan the certificate's Proven section reports on."""
    from crosscheck.proof import sweep

    jobs = sweep.plan()
    lemmas = {(j.sizes, j.N) for j in jobs if j.claim == "lemma"}
    assert lemmas == {((1, p, q), N) for p in range(1, 7) for q in range(1, 7) for N in (1, 2, 3)}
    assert {(j.sizes[1], j.N) for j in jobs if j.claim == "softmax"} == {(q, N) for q in range(1, 7) for N in (1, 2, 3)}
    whole = [j.sizes for j in jobs if j.claim == "end-to-end"]
    assert {len(s) - 1 for s in whole} == {1, 2, 3, 4} and max(max(s) for s in whole) == 3
    assert {j.mutant for j in jobs if j.claim == "refutation"} == set(sweep.FORMULA_MUTANTS)


def test_a_proof_reports_only_the_widths_it_proved():
    """A Proof whose results lack one lemma network is not complete, and the verdict's words name what was not
    proven: the rows are computed from the results, never from the plan."""
    from crosscheck.proof import sweep

    jobs = [j for j in sweep.plan() if j.claim == "lemma" and j.sizes[1] <= 2 and j.sizes[2] <= 2 and j.N == 1]
    proof = sweep.prove(jobs, workers=1)
    bp2 = next(row for row in proof.rows() if row.equation == "BP2")
    assert bp2.proven_at == "every q × p, p, q in 1-2" and not bp2.complete
    assert not proof.ok and "did not prove BP1, BP2, BP3, BP4" in proof.problem()


@pytest.mark.parametrize(
    ("equation", "line", "broken"),
    [
        (
            "BP1",
            "np.multiply(grad_a, sigma.derivative(z_L, a_L), out=out)",
            "np.multiply(grad_a, sigma.derivative(a_L, a_L), out=out)",
        ),
        ("BP2", "delta = np.matmul(W_next.mT, delta,", "delta = np.matmul(W_next, delta,"),
        ("BP3", "biases = [np.sum(deltas[l - 2], axis=-1,", "biases = [np.mean(deltas[l - 2], axis=-1,"),
        ("BP4", "np.matmul(deltas[l - 2], activations[l - 2].mT,", "np.matmul(deltas[l - 2], activations[l - 1].mT,"),
    ],
)
def test_one_broken_line_of_the_reference_is_refuted_and_its_equation_named(tmp_path, equation, line, broken):
    """A copy of reference/ with one line of BP1-BP4 changed, run by the symbolic tier alone (no numeric check), is
    refuted, and the message names that equation."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "reference", tmp_path / "reference")
    network = tmp_path / "reference" / "network.py"
    source = network.read_text()
    assert source.count(line) == 1, f"the reference's {equation} line is not where this test looks: {line!r}"
    network.write_text(source.replace(line, broken))
    script = (
        "import reference, sys\n"
        "from crosscheck.proof import sweep\n"
        f"assert reference.__file__.startswith({str(tmp_path)!r}), reference.__file__\n"
        "proof = sweep.prove([sweep.Job('end-to-end', (1, 2, 2), 2)], workers=1)\n"
        "print(proof.problem())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": f"{tmp_path}:{root}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"refutes {equation} "), done.stdout


def test_each_formula_mutant_is_refuted_at_its_equation_with_a_readable_residual():
    """The sweep's refutations: each formula mutant on 2-2-2, N = 2, fails at the equation it breaks, and its
    residual names the pre-activations and ∂C/∂a (bp1_without_sigma_prime: exactly −C_a11 (τ'(z3_11) − 1))."""
    from crosscheck.proof import sweep

    proof = sweep.prove([j for j in sweep.plan() if j.claim == "refutation"], workers=1)
    for result in proof.refutations():
        assert proof.refuted(result), f"{result.job.mutant}: {result.failed} ({result.equation}), residual {result.residual}"
    shown = {r.job.mutant: r.residual for r in proof.refutations()}
    assert shown["bp1_without_sigma_prime"] == "-C_a11*(τ'(z3_11) - 1)"
    assert shown["sigma_prime_of_a"] == "-C_a11*(τ'(z3_11) - τ'(τ(z3_11)))"
    assert shown["wrong_sign_error"] == "-2*C_a11*τ'(z3_11)"
    # softmax's Jacobian as diag(a(1 − a)): the off-diagonal −a_1 a_2 C_a21 is what it leaves out
    assert shown["wrong_softmax_derivative"] == "C_a21*E(z3_11)*E(z3_21)/(E(z3_11) + E(z3_21))**2"


@pytest.mark.slow
def test_the_symbolic_command_proves_the_whole_plan(tmp_path):
    """`python -m crosscheck --symbolic --json --markdown` proves every identity of the plan and refutes every formula
    mutant, exit 0; its JSON says so, and every sentence of its Markdown carries a ledger tag."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from crosscheck.proof import sweep

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "proof.json"
    done = subprocess.run(
        [sys.executable, "-m", "crosscheck", "--symbolic", "--quiet", "--json", str(out), "--markdown", str(tmp_path / "p.md")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("PROVEN"), done.stdout
    data = json.loads(out.read_text())
    assert data["ok"] and all(row["complete"] for row in data["identities"]) and not data["failures"]
    assert len(data["refutations"]) == len(sweep.FORMULA_MUTANTS) and all(r["ok"] for r in data["refutations"])
    assert {d["name"] for d in data["derivatives"] if d["verdict"] == "confirmed"} == CONFIRMED | LOSSES_CONFIRMED
    assert {d["name"] for d in data["wrong_derivatives"] if d["verdict"] == "refuted"} >= {"literal_sigmoid"}
    from crosscheck.certificate.ledger import untagged

    assert untagged((tmp_path / "p.md").read_text()) == []


CONFIRMED = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "silu", "gelu_tanh", "identity"}
LOSSES_CONFIRMED = {"quadratic", "binary_cross_entropy", "cross_entropy"}
NOT_EXPRESSIBLE = {"gelu": "the code needs a float of z"}  # math.erfc through np.frompyfunc
WRONG_NOT_EXPRESSIBLE = {
    "wrong_elu_derivative": "compares z with 700",  # e^min(z, 700): z > 0 does not decide it
    "wrong_gelu_derivative": "the code needs a float of z",
    "wrong_huber_gradient": "compares Abs(",  # |a − y| ≤ 1 with a in (0, 1): SymPy does not decide it
}


def test_each_catalogue_sigma_prime_is_confirmed_or_not_expressible_with_its_reason():
    """The registry's own σ' equals SymPy's derivative of the registry's own σ on z > 0 and z < 0, for every
    element-wise entry SymPy can follow; each other entry is listed as not expressible, with the reason."""
    from crosscheck.proof import derivatives

    found = {c.name: c for c in derivatives.catalogue()}
    assert {n for n, c in found.items() if c.verdict == "confirmed"} == CONFIRMED, found
    for name, words in NOT_EXPRESSIBLE.items():
        assert found[name].verdict == "not expressible" and words in found[name].detail, found[name]


def test_a_wrong_sigma_prime_in_the_registry_is_refuted_with_its_residual(monkeypatch):
    """σ'(z) = 1 − σ(z) put into the registry for sigmoid is refuted on z > 0, and the residual shown is
    σ' − dσ/dz = (1 + e^z)^(-2), exactly."""
    import dataclasses

    from crosscheck.proof import derivatives
    from reference import activations as reference_activations

    entry = reference_activations.ACTIVATIONS["sigmoid"]
    monkeypatch.setitem(reference_activations.ACTIVATIONS, "sigmoid", dataclasses.replace(entry, derivative=lambda z, a: 1.0 - a))
    found = {c.name: c for c in derivatives.catalogue()}
    assert found["sigmoid"].verdict == "refuted" and found["sigmoid"].branch == "z > 0"
    assert found["sigmoid"].detail == "(exp(z) + 1)**(-2)"


def test_every_wrong_sigma_prime_and_the_printed_sigmoid_are_refuted_where_expressible():
    """Each wrong σ' and ∇_a C of crosscheck.mutants and the printed sigmoid 1/(1 + e^z) with the standard σ' are
    refuted (never confirmed); those of the entries SymPy cannot follow are not expressible."""
    from crosscheck.proof import derivatives

    found = {c.name: c for c in derivatives.wrong_derivatives()}
    for name, check in found.items():
        if name in WRONG_NOT_EXPRESSIBLE:
            assert check.verdict == "not expressible" and WRONG_NOT_EXPRESSIBLE[name] in check.detail, check
        else:
            assert check.verdict == "refuted", check
    assert found["wrong_softplus_derivative"].detail == "-(exp(z) - 1)/(exp(z) + 1)"  # σ(−z) − σ(z) on z > 0
    assert found["wrong_cross_entropy_gradient"].detail == "-(a11 - 1)/(2*a11)"  # y(1 − a)/(aN) at y = 1, N = 2
    assert found["literal_sigmoid"].detail == "1/(exp(z) + 1)"
    assert found["wrong_relu_derivative"].detail == "z - 1"


def test_a_new_activation_needs_no_new_proof_and_its_sigma_prime_is_checked():
    """An activation written now (softsign z/(1 + |z|), σ' = 1/(1 + |z|)²) is confirmed by the same check, and a
    slip in its σ' (the square forgotten) is refuted; the module's float constants and its NumPy are restored
    afterwards."""
    import numpy as np

    from crosscheck.proof import derivatives
    from reference import activations as reference_activations

    slope = reference_activations.LEAKY_SLOPE
    assert derivatives.check("softsign", lambda z: z / (1 + np.abs(z)), lambda z, a: 1 / (1 + np.abs(z)) ** 2).verdict == (
        "confirmed"
    )
    wrong = derivatives.check("softsign", lambda z: z / (1 + np.abs(z)), lambda z, a: 1 / (1 + np.abs(z)))
    assert wrong.verdict == "refuted" and wrong.detail == "z/(z + 1)**2"
    derivatives.catalogue()
    assert slope == reference_activations.LEAKY_SLOPE and type(reference_activations.LEAKY_SLOPE) is float
    assert reference_activations.np is np


def test_each_loss_gradient_is_confirmed_or_not_expressible_and_a_wrong_one_refuted(monkeypatch):
    """Each catalogue loss's ∇_a C equals SymPy's derivative of its own C (quadratic, binary and categorical
    cross-entropy; huber's |a − y| ≤ 1 branch is not expressible, with the reason); the quadratic gradient without
    its ½ put into the registry is refuted, residual (a − y)/N at a11, y = 1."""
    import dataclasses

    from crosscheck.proof import derivatives
    from reference import losses as reference_losses

    found = {c.name: c for c in derivatives.losses()}
    assert {n for n, c in found.items() if c.verdict == "confirmed"} == LOSSES_CONFIRMED
    assert found["huber"].verdict == "not expressible" and "compares Abs(" in found["huber"].detail
    entry = reference_losses.LOSSES["quadratic"]
    monkeypatch.setitem(
        reference_losses.LOSSES, "quadratic", dataclasses.replace(entry, gradient=lambda a, y: 2 * (a - y) / a.shape[-1])
    )
    wrong = {c.name: c for c in derivatives.losses()}["quadratic"]
    assert (wrong.verdict, wrong.branch, wrong.detail) == ("refuted", "a11, y = 1", "(a11 - 1)/2")
