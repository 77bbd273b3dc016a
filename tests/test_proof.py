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


# --- one-line breaks of reference/, in a copy: each refuted by name --------------------------------
NETWORK, ACTIVATIONS, LOSSES = "network.py", "activations.py", "losses.py"
SEAMS = "jobs"
"""The smallest check that decides a break of network.py: the networks the seams need (a non-square lemma, softmax,
whole networks on each code path) run in the copy's process. A break of activations.py or losses.py: that entry's
σ' or C and ∇_a C check."""
BREAKS = [
    # (id, file, line, broken, what the verdict must name)
    (
        "BP1 without σ'",
        NETWORK,
        "np.multiply(grad_a, sigma.derivative(z_L, a_L), out=out)",
        "np.multiply(grad_a, 1.0, out=out)",
        "refutes BP1",
    ),
    (
        "BP1 σ'(a) for σ'(z)",
        NETWORK,
        "np.multiply(grad_a, sigma.derivative(z_L, a_L), out=out)",
        "np.multiply(grad_a, sigma.derivative(a_L, a_L), out=out)",
        "refutes BP1",
    ),
    (
        "BP2 hands σ' z as its a",
        NETWORK,
        "self.sigma(l).derivative(zs[l - 2], activations[l - 1])",
        "self.sigma(l).derivative(zs[l - 2], zs[l - 2])",
        "refutes BP2",
    ),
    ("BP2 without the transpose", NETWORK, "np.matmul(W_next.mT, delta,", "np.matmul(W_next, delta,", "refutes BP2"),
    ("BP2 with W^l for W^{l+1}", NETWORK, "W_next = self.weights[l - 1]", "W_next = self.weights[l - 2]", "refutes BP2"),
    (
        "BP2 σ'(z^{l+1}) for σ'(z^l)",
        NETWORK,
        "self.sigma(l).derivative(zs[l - 2], activations[l - 1])",
        "self.sigma(l).derivative(zs[l - 1], activations[l])",
        "refutes BP2",
    ),
    ("BP2 .T for .mT", NETWORK, "np.matmul(W_next.mT, delta,", "np.matmul(W_next.T, delta,", "refutes BP2"),
    (
        "BP2 out= into layer l+1's buffer",
        NETWORK,
        'delta = np.matmul(W_next.mT, delta, out=_into(out, "deltas", l))',
        'delta = np.matmul(W_next.mT, delta, out=_into(out, "deltas", l + 1))',
        "refutes BP",
    ),
    (
        "BP3 mean for sum",
        NETWORK,
        "biases = [np.sum(deltas[l - 2], axis=-1,",
        "biases = [np.mean(deltas[l - 2], axis=-1,",
        "refutes BP3",
    ),
    (
        "BP3 over the wrong axis",
        NETWORK,
        "biases = [np.sum(deltas[l - 2], axis=-1,",
        "biases = [np.sum(deltas[l - 2], axis=-2,",
        "refutes BP3",
    ),
    (
        "BP3 out= into another layer's buffer",
        NETWORK,
        'keepdims=True, out=_into(out, "biases", l))',
        'keepdims=True, out=_into(out, "biases", l - 1))',
        "refutes BP3",
    ),
    (
        "BP4 a^l for a^{l-1}",
        NETWORK,
        "np.matmul(deltas[l - 2], activations[l - 2].mT,",
        "np.matmul(deltas[l - 2], activations[l - 1].mT,",
        "refutes BP4",
    ),
    (
        "BP4 .T for .mT",
        NETWORK,
        "np.matmul(deltas[l - 2], activations[l - 2].mT,",
        "np.matmul(deltas[l - 2], activations[l - 2].T,",
        "refutes BP4",
    ),
    ("forward without b", NETWORK, "z += b  #", "z += 0 * b  #", "refutes forward"),
    (
        "forward with the next layer's σ",
        NETWORK,
        "activations.append(self.sigma(l).function(z))",
        "activations.append(self.sigma(min(l + 1, self.L)).function(z))",
        "refutes forward",
    ),
    ("sigmoid writes into its input", ACTIVATIONS, "a = np.negative(z)", "a = np.negative(z, out=z)", "sigmoid ("),
    ("tanh' of 2|z| halved", ACTIVATIONS, "t *= -2.0", "t *= -1.0", "tanh (at"),
    (
        "leaky slope 0.1 in σ'",
        ACTIVATIONS,
        "return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)",
        "return np.where(z > 0, 1.0, 0.1).astype(z.dtype)",
        "leaky_relu (at",
    ),
    (
        "elu' 0 above 0",
        ACTIVATIONS,
        "return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))).astype(z.dtype)",
        "return np.where(z > 0, 0.0, np.exp(np.minimum(z, 0.0))).astype(z.dtype)",
        "elu (at",
    ),
    (
        "silu' without z",
        ACTIVATIONS,
        "return sigmoid(z) * (1.0 + z * sigmoid(-z))",
        "return sigmoid(z) * (1.0 + sigmoid(-z))",
        "silu (at",
    ),
    ("gelu' without z φ(z)", ACTIVATIONS, "return _Phi(z) + z * phi", "return _Phi(z)", "gelu (at"),
    (
        "softmax over the wrong axis",
        ACTIVATIONS,
        "return e / e.sum(axis=-2, keepdims=True)",
        "return e / e.sum(axis=-1, keepdims=True)",
        "refutes forward",
    ),
    (
        "softmax's shift over the wrong axis",
        ACTIVATIONS,
        "e = np.exp(z - z.max(axis=-2, keepdims=True))",
        "e = np.exp(z - z.max(axis=-1, keepdims=True))",
        "refutes forward",
    ),
    (
        "softmax Jacobian's diagonal a_j",
        ACTIVATIONS,
        "J[..., index, index] = columns * others",
        "J[..., index, index] = columns",
        "refutes BP1",
    ),
    (
        "quadratic ∇C over 2, not N",
        LOSSES,
        "    return (a - y) / N\n",
        "    return (a - y) / 2\n",
        "∇_a C = ∂C/∂a for the catalogue's quadratic",
    ),
    (
        "quadratic C without 1/N",
        LOSSES,
        "return _total((y - a) ** 2, 2 * N)",
        "return _total((y - a) ** 2, 2)",
        "C = its stated formula for the catalogue's quadratic",
    ),
    (
        "quadratic C without ½",
        LOSSES,
        "return _total((y - a) ** 2, 2 * N)",
        "return _total((y - a) ** 2, N)",
        "C = its stated formula for the catalogue's quadratic",
    ),
    (
        "quadratic C and ∇C both over every element",
        LOSSES,
        "return _total((y - a) ** 2, 2 * N)",
        "return _total((y - a) ** 2, 2 * N * a.shape[-2])",
        "C = its stated formula for the catalogue's quadratic",
    ),
    (
        "binary cross-entropy ∇C with 1 + a",
        LOSSES,
        "negative = np.where(y < 1, (1 - y) / (1 - a), 0.0)",
        "negative = np.where(y < 1, (1 - y) / (1 + a), 0.0)",
        "binary_cross_entropy",
    ),
    (
        "cross-entropy C without its minus",
        LOSSES,
        "    return _total(-terms, N)",
        "    return _total(terms, N)",
        "C = its stated formula for the catalogue's cross_entropy",
    ),
    ("huber ∇C clipped at ½", LOSSES, "return np.clip(a - y, -1.0, 1.0) / N", "return np.clip(a - y, -0.5, 0.5) / N", "huber"),
]
"""The MSE-mean row changes ∇C too (a second line): see `_broken`."""
SECOND = {"quadratic C and ∇C both over every element": ("    return (a - y) / N\n", "    return (a - y) / (N * a.shape[-2])\n")}

SMOKE = """
import json, sys
import reference
from crosscheck.proof import costs, derivatives, sweep
assert reference.__file__.startswith({copy!r}), reference.__file__
part = {part!r}
if part == "network.py":
    jobs = [sweep.Job("lemma", (1, 3, 2), 2), sweep.Job("softmax", (1, 3), 2, output="softmax"),
            sweep.Job("end-to-end", (2, 3, 2), 2), sweep.Job("end-to-end", (2, 3), 2, output="softmax")]
    jobs += [sweep.Job("path", (2, 3, 2), 2, path=p) for p in ("stack", "out")]
    proof = sweep.prove(jobs, workers=1)
elif part == "activations.py":
    jobs = [sweep.Job("end-to-end", (2, 3), 2, output="softmax"), sweep.Job("path", (2, 3), 2, output="softmax", path="stack")]
    proof = sweep.prove(jobs, workers=1)
    proof = sweep.Proof(proof.results, proof.seconds, 1, derivatives.catalogue(), [])
else:
    proof = sweep.Proof([], 0.0, 1, costs.losses(), [])
print(json.dumps({{"ok": proof.ok, "problem": proof.problem()}}))
"""


def _broken(tmp_path, file, line, broken, name):
    """A copy of reference/ with the one line broken (its original must be there exactly once)."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "reference", tmp_path / "reference")
    path = tmp_path / "reference" / file
    source = path.read_text()
    for old, new in [(line, broken), *([SECOND[name]] if name in SECOND else [])]:
        assert source.count(old) == 1, f"the reference's line is not where this test looks: {old!r}"
        source = source.replace(old, new)
    path.write_text(source)
    return root


@pytest.mark.slow
@pytest.mark.parametrize(("name", "file", "line", "broken", "named"), BREAKS, ids=[b[0] for b in BREAKS])
def test_a_one_line_break_of_the_reference_is_refuted_by_name(tmp_path, name, file, line, broken, named):
    """A copy of reference/ with one line broken (a seam between the proven part and what it hands over to included:
    σ' handed z, an in-place σ, out= into the wrong buffer, the wrong axis, a cost off by 1/N, ½ or the elements) is
    not proven, and the verdict names what it breaks; a shape-changing break is a refutation, never a traceback."""
    import json
    import subprocess
    import sys

    root = _broken(tmp_path, file, line, broken, name)
    done = subprocess.run(
        [sys.executable, "-c", SMOKE.format(copy=str(tmp_path), part=file)],
        env={"PYTHONPATH": f"{tmp_path}:{root}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout.strip().splitlines()[-1])
    assert not verdict["ok"], f"{name} was proven"
    assert named in verdict["problem"], verdict["problem"]


def test_the_table_of_breaks_holds_25_or_more():
    """The table of one-line breaks holds at least 25 rows, each a distinct break."""
    assert len({b[0] for b in BREAKS}) >= 25


@pytest.mark.slow
@pytest.mark.parametrize(
    # The crash decides CI's row (the seam itself is the smallest check's, in the table above); both under thorough.
    "name",
    ["BP2 with W^l for W^{l+1}", pytest.param("BP2 hands σ' z as its a", marks=pytest.mark.thorough)],
)
def test_the_command_on_a_broken_reference_exits_1_names_the_equation_and_writes_its_json(tmp_path, name):
    """`python -m crosscheck --symbolic --json --markdown` on a copy with a seam broken (σ' handed z) or a shape
    changed (a crash on symbols): exit 1, NOT PROVEN naming BP2, no traceback, and both files written."""
    import json
    import subprocess
    import sys

    _, file, line, broken, _ = next(b for b in BREAKS if b[0] == name)
    root = _broken(tmp_path, file, line, broken, name)
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crosscheck",
            "--symbolic",
            "--quiet",
            "--json",
            str(out / "p.json"),
            "--markdown",
            str(out / "p.md"),
        ],
        env={"PYTHONPATH": f"{tmp_path}:{root}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("NOT PROVEN") and "refutes BP2" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr
    data = json.loads((out / "p.json").read_text())
    assert data["ok"] is False and data["failures"] and (out / "p.md").is_file()


def test_each_formula_mutant_is_refuted_at_its_equation_with_a_readable_residual():
    """The sweep's refutations: each formula mutant on 2-2-2, N = 2, fails at the equation it breaks, and its
    residual names the pre-activations, σ' with the two arguments the code hands it, and ∂C/∂a."""
    from crosscheck.proof import sweep

    proof = sweep.prove([j for j in sweep.plan() if j.claim == "refutation"], workers=1)
    for result in proof.refutations():
        assert proof.refuted(result), f"{result.job.mutant}: {result.failed} ({result.equation}), residual {result.residual}"
    shown = {r.job.mutant: r.residual for r in proof.refutations()}
    assert shown["bp1_without_sigma_prime"] == "-C_a11*(τ'(z3_11, τ(z3_11)) - 1)"
    assert shown["sigma_prime_of_a"] == "-C_a11*(τ'(z3_11, τ(z3_11)) - τ'(τ(z3_11), τ(τ(z3_11))))"
    assert shown["wrong_sign_error"] == "-2*C_a11*τ'(z3_11, τ(z3_11))"
    # softmax's Jacobian as diag(a(1 − a)): the off-diagonal −a_1 a_2 C_a21 is what it leaves out
    assert shown["wrong_softmax_derivative"] == "C_a21*exp(z3_11)*exp(z3_21)/(exp(z3_11) + exp(z3_21))**2"


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
    assert data["derivatives"] and all(d["verdict"] == "confirmed" for d in data["derivatives"])
    assert data["wrong_derivatives"] and all(d["verdict"] == "refuted" for d in data["wrong_derivatives"])
    from scopes import mismatches

    from crosscheck.certificate.ledger import untagged

    markdown = (tmp_path / "p.md").read_text()
    assert untagged(markdown) == []
    # Every scope its sentences state (widths, N, the whole networks, the code paths, the mutants' network, the costs'
    # outputs and N, the depth beyond which a hypothesis rules) is what the run recorded; a widened one is named.
    required = ("width pair", "whole networks", "stack of two", "equation it breaks", "outputs at N", "beyond")
    assert mismatches(markdown, data, required=required) == []
    widened = markdown.replace("up to 6 × 6", "up to 7 × 7")
    assert widened != markdown and any("7 × 7" in m for m in mismatches(widened, data))


def test_every_catalogue_sigma_prime_is_confirmed():
    """The registry's own σ' equals SymPy's derivative of the registry's own σ on z > 0 and z < 0, for every
    element-wise entry (gelu's erfc included): none is left "not expressible"."""
    from crosscheck.proof import derivatives

    found = {c.name: c for c in derivatives.catalogue()}
    assert all(c.verdict == "confirmed" for c in found.values()), [c for c in found.values() if c.verdict != "confirmed"]


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


def test_every_wrong_sigma_prime_and_gradient_and_the_printed_sigmoid_are_refuted():
    """Each wrong σ' and ∇_a C of crosscheck.mutants and the printed sigmoid 1/(1 + e^z) with the standard σ' are
    refuted, none "not expressible" (elu's e^min(z, 700) past 700, gelu's with its erfc, huber's on its branches)."""
    from crosscheck.proof import derivatives

    found = {c.name: c for c in derivatives.wrong_derivatives()}
    assert all(c.verdict == "refuted" for c in found.values()), [c for c in found.values() if c.verdict != "refuted"]
    assert found["wrong_softplus_derivative"].detail == "-(exp(z) - 1)/(exp(z) + 1)"  # σ(−z) − σ(z) on z > 0
    assert found["literal_sigmoid"].detail == "1/(exp(z) + 1)"
    assert found["wrong_relu_derivative"].detail == "z - 1"
    assert found["wrong_elu_derivative"].branch == "z > 700"


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


def test_each_loss_cost_is_its_formula_and_its_gradient_the_formulas_derivative(monkeypatch):
    """Each catalogue loss's C equals its stated formula and its ∇_a C that formula's derivative, at N = 1, 2 and 3
    (huber on each side of its kinks); the quadratic gradient without its ½ put into the registry is refuted, and a
    cost without its 1/N is told from one without its ½ by the residual of C against the formula."""
    import dataclasses

    from crosscheck.proof import costs
    from reference import losses as reference_losses

    found = costs.losses()
    assert all(c.verdict == "confirmed" for c in found), [c for c in found if c.verdict != "confirmed"]
    assert {c.identity for c in found} == {costs.FORMULA, costs.GRADIENT}
    entry = reference_losses.LOSSES["quadratic"]
    monkeypatch.setitem(
        reference_losses.LOSSES, "quadratic", dataclasses.replace(entry, gradient=lambda a, y: 2 * (a - y) / a.shape[-1])
    )
    wrong = {(c.name, c.identity): c for c in costs.losses()}[("quadratic", costs.GRADIENT)]
    assert wrong.verdict == "refuted" and wrong.branch == "N = 1, a, y real, ∂C/∂a11", wrong
    half = costs.check_loss("quadratic", lambda a, y: ((y - a) ** 2).sum(axis=(-2, -1)) / a.shape[-1], entry.gradient)[0]
    mean = costs.check_loss("quadratic", lambda a, y: ((y - a) ** 2).sum(axis=(-2, -1)) / 2, entry.gradient)[0]
    assert half.verdict == mean.verdict == "refuted" and half.detail != mean.detail, (half, mean)
