"""The symbolic tier in the certificate: its lines of the terminal report, its "Proven"
section of the Markdown (every sentence tagged, `crosscheck.certificate.ledger`), and its
evidence against each mutant, which the negative controls show beside the numeric one."""

from __future__ import annotations

from typing import Any

from crosscheck.certificate.ledger import tag, tagged


def proof_terminal(proof: Any, skipped: str = "") -> list[str]:
    """The symbolic tier's lines of the terminal report: each identity, then each refutation."""
    if proof is None:
        return [f"Proven (symbolic): not run ({skipped})."]
    lines = [f"Proven (symbolic, exact; {len(proof.results)} networks in {proof.seconds:.1f} s on {proof.workers} process(es)):"]
    for row in proof.rows():
        N = ", ".join(map(str, row.samples))
        lines.append(f"  {row.equation:14} {'proven' if row.complete else 'NOT PROVEN'} at {row.proven_at}; N = {N}")
    lines.append("Formula mutants refuted (reference − truth at the first element that differs):")
    for r in proof.refutations():
        verdict = f"{r.failed} ({r.equation})" if proof.refuted(r) else f"NOT REFUTED at its equation ({r.failed or 'proven'})"
        lines.append(f"  {r.job.mutant:30} {verdict}: {r.residual}")
    lines.append("Each catalogue σ' and ∇_a C against SymPy's derivative of its σ or C (the registry's code):")
    lines += [f"  {c.name:30} {c.verdict}{': ' + c.detail if c.detail else ''}" for c in proof.derivatives]
    lines.append("Each wrong σ' and ∇_a C of the mutant catalogue, and the printed sigmoid, the same way:")
    lines += [f"  {c.name:30} {c.verdict}{': ' + c.detail if c.detail else ''}" for c in proof.wrong]
    return lines


def proof_markdown(proof: Any, skipped: str = "") -> str:
    """The certificate's "Proven" section, every sentence tagged (`crosscheck.certificate.ledger`):
    how it proves, what (the identities), why that covers every depth, what it refutes, and the
    registry's own derivatives."""
    if proof is None:
        return f"## Proven\n\nThe symbolic tier did not run ({skipped}): this certificate proves nothing. {tag('Measured')}\n\n"
    return "## Proven\n\n" + _how(proof) + _every_depth() + _refutations(proof) + _registry(proof)


def _how(proof: Any) -> str:
    """The method, and the identities proven with their widths, N and time."""
    rows = "\n".join(
        f"| {row.equation} | {row.statement} | {row.proven_at} | {', '.join(map(str, row.samples))} | {row.networks} | "
        f"{row.seconds:.1f} | {'proven' if row.complete else '**NOT PROVEN**'} |"
        for row in proof.rows()
    )
    method = tagged(
        (
            "The reference's own `Network.backward` runs on arrays of SymPy symbols: the parameters and the input are "
            "symbols, σ and the output activation τ are undefined functions (`sympy.Function`) whose derivatives are "
            "other undefined functions, and the cost C is an undefined function of every output a^L_jx (the quadratic "
            "cost and every catalogue loss are special cases of it).",
            tag("Cross-checked", "tests/test_proof.py: one broken line of each of BP1-BP4 in a copy of reference/ is refuted"),
        ),
        (
            "What it computes is compared, element by element, with SymPy's derivative of C through a forward pass "
            "written in `crosscheck/proof/`, and each difference is decided exactly: each function application becomes "
            "a symbol, and the difference, a polynomial in them (for softmax a rational function), is expanded to zero "
            "in SymPy's polynomial ring over ℚ, with no `simplify`.",
            tag("Trusted", "SymPy's diff, and its polynomial arithmetic over ℚ"),
        ),
        (f"{len(proof.results)} networks took {proof.seconds:.1f} s on {proof.workers} process(es).", tag("Measured")),
    )
    return f"""{method}

| identity | statement | proven at | N | networks | CPU s | |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

"""


def _every_depth() -> str:
    """Why the lemmas at these widths cover every depth, and what they leave out."""
    proven = tag("Proven")
    induction = tagged(
        (
            "The lemmas are proven on networks (1, p, q): BP1 at layer 3 for any τ and C; BP2 from δ^3 to δ^2 through "
            "the q × p matrix W^3, where ∂C/∂z^3 is any vector as C varies, so that the rest of the network is an "
            "arbitrary function G of z^3; BP3 and BP4 at layer 3, where C depends on b^3 and W^3 only through "
            "z^3 = W^3 a^2 + b^3 and a^2 is any vector.",
            proven,
        ),
        (
            "Induction on l then covers every depth at these widths: BP1 gives δ^L = ∂C/∂z^L, and if "
            "δ^{l+1} = ∂C/∂z^{l+1}, BP2 at the widths of layers l and l + 1 gives δ^l = ∂C/∂z^l, from which BP3 and BP4 "
            "give the gradients of layer l.",
            tag("Proven", "by induction on l, from the lemmas"),
        ),
        ("The whole networks check the lemmas end to end, hidden layers' BP3 and BP4 included.", proven),
    )
    scope = tagged(
        (
            "A new element-wise activation or loss needs no new proof: the lemmas hold for any differentiable σ and "
            "any differentiable C.",
            tag("Hypothesis", "σ and C differentiable"),
        ),
        (
            "Out of the lemmas' scope: the update W ← W − η ∂C/∂W and the rules that stop training (checked "
            "numerically above, not proven), a concrete σ' or ∇C of the catalogue (the lemmas leave σ and C undefined; "
            "each is checked against its own σ or C below), and the rounding of floating point (the proof is over the "
            "reals).",
            tag("Trusted", "IEEE 754 rounding, bounded by the error model"),
        ),
    )
    return f"{induction}\n\n{scope}\n\n"


def _refutations(proof: Any) -> str:
    """Each formula mutant, refuted at its equation with its residual."""
    refuted = "\n".join(
        f"| `{r.job.mutant}` | {r.failed} ({r.equation}) | {'refuted' if proof.refuted(r) else '**NOT REFUTED**'} | "
        f"`{r.residual}` |"
        for r in proof.refutations()
    )
    refutations = tagged(
        (
            "Refutations: each formula mutant of `crosscheck/mutants.py`, on the network 2-2-2 with N = 2 (the softmax "
            "Jacobian's with softmax output, the others' with τ undefined), fails at the equation it breaks; its "
            "residual (the mutant's value − the truth, at the first element that differs; z2_ic and z3_ic are the "
            "pre-activations, E(z) = e^z, C_ajx = ∂C/∂a^L_jx) is factored for reading.",
            tag("Proven", "each residual decided non-zero"),
        )
    )
    return f"""{refutations}

| mutant | refuted at | | residual |
| --- | --- | --- | --- |
{refuted}

"""


def _registry(proof: Any) -> str:
    """Each catalogue σ' and ∇_a C against SymPy's derivative of its own σ or C, and the wrong ones refuted."""
    derivatives = "\n".join(
        f"| {c.name} | {c.identity} | {c.verdict} | {c.branch if c.verdict == 'refuted' else ''} {c.detail} |"
        for c in proof.derivatives
    )
    wrong = "\n".join(f"| `{c.name}` | {c.identity} | {c.verdict} | {c.branch} | `{c.detail}` |" for c in proof.wrong)
    registry = tagged(
        (
            "Each catalogue σ' against SymPy's derivative of its σ, both as the registry's own code computes them on a "
            "symbol z, positive on one branch and negative on the other, with its float constants as symbols, and each "
            "loss's ∇_a C against the derivative of its C at outputs a in (0, 1) and targets 0, 1/4, 3/4 and 1 "
            "(`crosscheck/proof/derivatives.py`); code SymPy cannot follow is not expressible, with the reason.",
            tag("Proven", "on z > 0 and z < 0; at the kink z = 0, the Hypothesis"),
        )
    )
    refuted_registry = tagged(
        (
            "Each wrong σ' and ∇_a C of the mutant catalogue, and the printed sigmoid 1/(1 + e^z) with the standard σ', "
            "the same way; the residual is the code's value minus the derivative, where shown.",
            tag("Proven", "each residual decided non-zero"),
        )
    )
    return f"""{registry}

| entry | identity | | where, or why not |
| --- | --- | --- | --- |
{derivatives}

{refuted_registry}

| mutant | identity | verdict | where | residual, or why not |
| --- | --- | --- | --- | --- |
{wrong}

"""


def mutant_evidence(proof: Any, mutant: Any) -> str:
    """The symbolic tier's evidence against a mutant (`crosscheck.mutants.Mutant`), for the
    certificate's negative controls, beside the numeric counterexample."""
    if proof is None:
        return "not run"
    found = proof.of_mutant(mutant.name)
    if found is None:
        return "out of scope (the update is not proven)" if mutant.check == "step" else "none"
    if hasattr(found, "job"):  # a refutation of BP1-BP4's formula
        if not proof.refuted(found):
            return "**NOT REFUTED**"
        return f"refuted at {found.failed} ({found.equation}): `{found.residual}`"
    verdicts = {"refuted": f"refuted ({found.branch}): `{found.detail}`", "confirmed": "**CONFIRMED: not refuted**"}
    return verdicts.get(found.verdict, f"not expressible: {found.detail}")
