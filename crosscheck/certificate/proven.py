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
    return "## Proven\n\n" + _how(proof) + _every_depth(proof) + _refutations(proof) + _registry(proof)


def _how(proof: Any) -> str:
    """The method, and the identities proven with their widths, N and time."""
    rows = "\n".join(
        f"| {row.equation} | {row.statement} | {row.proven_at} | {', '.join(map(str, row.samples))} | {row.networks} | "
        f"{row.seconds:.1f} | {'proven' if row.complete else '**NOT PROVEN**'} |"
        for row in proof.rows()
    )
    method = tagged(
        (
            "The reference's own `Network.backward` runs on arrays of SymPy symbols for the parameters and the input.",
            tag("Cross-checked", "tests/test_proof.py: one-line breaks of a copy of reference/ are each refuted by name"),
        ),
        (
            "σ and the output activation τ are undefined functions whose derivative σ' takes the two arguments the code "
            "hands it, z and a = σ(z), so that a σ' handed the wrong a leaves a residual.",
            tag("Measured", "the functions the proof runs with, crosscheck/proof/identities.py"),
        ),
        (
            "The cost C is an undefined function of every output a^L_jx, of which the quadratic cost and every catalogue "
            "loss are special cases.",
            tag("Measured", "the cost the proof runs with"),
        ),
        (
            "A softmax output runs the reference's own max-shifted softmax, its maximum an undefined function that the "
            "identity must cancel, and its own Jacobian code.",
            tag("Measured", "the softmax the proof runs with"),
        ),
        (
            "The truth is SymPy's derivative of C through a forward pass written in `crosscheck/proof/`.",
            tag("Trusted", "SymPy's diff"),
        ),
        (
            "Each difference is decided exactly: each function application becomes a symbol, and the difference, a "
            "rational function of them, is expanded to zero over ℚ with no `simplify`.",
            tag("Trusted", "SymPy's polynomial arithmetic over ℚ"),
        ),
        (
            "A crash of the code on symbols refutes the equation it was computing.",
            tag("Measured", "read off the traceback's frames of backward"),
        ),
        (f"{len(proof.results)} networks took {proof.seconds:.1f} s on {proof.workers} process(es).", tag("Measured")),
    )
    return f"""{method}

| identity | statement | proven at | N | networks | CPU s | |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

"""


def _every_depth(proof: Any) -> str:
    """Why the lemmas at these widths cover deeper networks, what that rests on, and what they leave out."""
    proven = tag("Proven")
    scope = proof.recorded_scope()
    depths = [len(n["sizes"]) - 1 for n in scope["end_to_end"]]
    induction = tagged(
        ("BP1 is proven at layer 3 of the networks (1, p, q), for any τ and C.", proven),
        (
            "BP2 is proven from δ^3 to δ^2 through the q × p matrix W^3, with ∂C/∂z^3 any vector as C varies, so that the "
            "rest of the network is an arbitrary function of z^3.",
            proven,
        ),
        (
            "BP3 and BP4 are proven at layer 3, where C depends on b^3 and W^3 only through z^3 = W^3 a^2 + b^3 with a^2 "
            "any vector.",
            proven,
        ),
        (
            f"{len(depths)} whole networks of {min(depths, default=0)} to {max(depths, default=0)} weight layers and widths "
            f"≤ {max(scope['end_to_end_widths'], default=0)} (the end-to-end row) are proven end to end, every layer's δ, "
            "∂C/∂b and ∂C/∂W included.",
            proven,
        ),
        (
            "Deeper networks follow by induction on l only if `backward` computes δ^l by the same loop step at every l.",
            tag("Hypothesis", f"read off the code's loop, not proven about it beyond {max(depths, default=0)} weight layers"),
        ),
    )
    scope = tagged(
        (
            "A new element-wise activation or loss needs no new lemma, since the lemmas hold for any differentiable σ and C.",
            tag("Hypothesis", "σ and C differentiable"),
        ),
        (
            "The update W ← W − η ∂C/∂W and the rules that stop training are out of the proof's scope.",
            tag("Cross-checked", "numerically, by the certificate's trajectories and tests/test_reference.py, not here"),
        ),
        (
            "The proof is over the reals, and the float code's rounding is outside it.",
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
            "Each formula mutant of `crosscheck/mutants.py` fails at the equation it breaks, on the network "
            + " and ".join(f"{'-'.join(map(str, n['sizes']))} with N = {n['N']}" for n in proof.recorded_scope()["refuted_on"])
            + " (softmax output for the softmax Jacobian's, τ undefined for the others).",
            tag("Proven", "each residual decided non-zero"),
        ),
        (
            "Its residual is the mutant's value minus the truth at the first element that differs, with z2_ic and z3_ic "
            "the pre-activations and C_ajx = ∂C/∂a^L_jx, factored for reading when it is small.",
            tag("Measured", "as this run printed it"),
        ),
    )
    return f"""{refutations}

| mutant | refuted at | | residual |
| --- | --- | --- | --- |
{refuted}

"""


def _registry(proof: Any) -> str:
    """Each catalogue σ', C and ∇_a C against SymPy's derivative or the stated formula, and the wrong ones refuted."""
    derivatives = "\n".join(
        f"| {c.name} | {c.identity} | {c.verdict} | {c.branch if c.verdict == 'refuted' else ''} {c.detail} |"
        for c in proof.derivatives
    )
    wrong = "\n".join(f"| `{c.name}` | {c.identity} | {c.verdict} | {c.branch} | `{c.detail}` |" for c in proof.wrong)
    registry = tagged(
        (
            "Each catalogue σ' equals SymPy's derivative of its σ, both as the registry's own code computes them on a "
            "symbol z > 0 and z < 0, σ' handed the very array σ was given.",
            tag("Proven", "on z > 0 and z < 0; at a kink, the Hypothesis"),
        ),
        (
            "Each catalogue loss's C equals the formula the derivation states, written in `crosscheck/proof/costs.py`, "
            f"on {proof.recorded_scope()['cost_outputs']} outputs at N = "
            f"{', '.join(map(str, proof.recorded_scope()['cost_samples']))} with symbolic outputs and targets.",
            tag("Proven", "on each loss's domain"),
        ),
        (
            "Each loss's ∇_a C equals the derivative of that formula there.",
            tag("Proven", "on each loss's domain"),
        ),
        (
            "The code's float constants are read as the exact numbers they round: a module's constant as a symbol, and "
            "an inline one as the fraction or closed form in π and radicals within 4 ulps of it.",
            tag("Trusted", "sympy.nsimplify's reading of a float"),
        ),
        (
            "Applications of erfc, exponentials of distinct arguments, and logs of distinct irreducible factors are taken "
            "as algebraically independent.",
            tag("Trusted", "classical transcendence results, not proven here"),
        ),
    )
    refuted_registry = tagged(
        (
            "Each wrong σ' and ∇_a C of the mutant catalogue, and the printed sigmoid 1/(1 + e^z) with the standard σ', "
            "is refuted the same way.",
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
