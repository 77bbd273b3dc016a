"""The certificate's Coq stage: `proofs/Backprop.v` compiled by coqc in this run, and what each theorem assumes
(docs/DESIGN.md, "Proven for every size"; proofs/README.md). Where coqc or Coquelicot is missing, the stage says
so and the certificate claims nothing for every size.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crosscheck.certificate.ledger import tag, tagged

PROOFS = Path(__file__).resolve().parents[2] / "proofs"
"""The development: Backprop.v (the theorems) and Assumptions.v (Print Assumptions for each)."""
INSTALL = "apt-get install coq libcoq-coquelicot (Debian's Coq 8.16 and Coquelicot 3)"
ACCEPTED = (
    "ClassicalDedekindReals.sig_not_dec",
    "ClassicalDedekindReals.sig_forall_dec",
    "FunctionalExtensionality.functional_extensionality_dep",
)
"""The axioms a theorem may rest on: Coq's standard classical reals, and functional extensionality (Coquelicot)."""
THEOREMS = ("BP1", "BP1_jacobian", "BP2", "batch_BP1", "batch_BP2", "batch_delta_is_the_mean", "BP3", "BP4")
"""The theorems the certificate cites (proofs/README.md says what each states)."""


@dataclass
class CoqCheck:
    """What coqc decided in this run: `checked` (it ran), `ok` (it accepted every theorem, each resting only on
    ACCEPTED), the coqc version, each theorem's axioms, and why not, when it did not run or refused."""

    checked: bool = False
    ok: bool = False
    version: str = ""
    axioms: dict[str, list[str]] = field(default_factory=dict)
    why: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "ok": self.ok, "version": self.version, "axioms": self.axioms, "why": self.why}


def check() -> CoqCheck:
    """coqc on a copy of proofs/ (the repository's stays as it is), then Print Assumptions for each theorem."""
    import time

    coqc = shutil.which("coqc")
    if coqc is None:
        return CoqCheck(why=f"coqc is not installed: {INSTALL}")
    start = time.perf_counter()
    version = subprocess.run([coqc, "--version"], capture_output=True, text=True).stdout.split("version")[-1].split()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("Backprop.v", "Assumptions.v"):
            shutil.copy(PROOFS / name, Path(tmp) / name)
        done = [
            subprocess.run([coqc, "-Q", ".", "Backprop", "-w", "-ambiguous-paths", name], cwd=tmp, capture_output=True, text=True)
            for name in ("Backprop.v", "Assumptions.v")
        ]
    seconds = time.perf_counter() - start
    if done[0].returncode != 0:
        said = (done[0].stderr or done[0].stdout).strip().splitlines()
        return CoqCheck(True, False, version, why=f"coqc refused proofs/Backprop.v: {' '.join(said[-3:])[:300]}", seconds=seconds)
    if done[1].returncode != 0:
        return CoqCheck(True, False, version, why="coqc refused proofs/Assumptions.v", seconds=seconds)
    asked = re.findall(r"^Print Assumptions (\w+)\.", (PROOFS / "Assumptions.v").read_text(), re.M)
    blocks = re.split(r"^Axioms:\n", done[1].stdout, flags=re.M)[1:]
    axioms = {name: sorted(set(re.findall(r"^([A-Za-z_][\w.]*) *:", block, re.M))) for name, block in zip(asked, blocks)}
    extra = sorted({a for found in axioms.values() for a in found} - set(ACCEPTED))
    missing = [t for t in THEOREMS if t not in axioms]
    ok = len(blocks) == len(asked) and not extra and not missing
    why = "" if ok else f"beyond the accepted axioms: {', '.join(extra) or 'none'}; not printed: {', '.join(missing) or 'none'}"
    return CoqCheck(True, ok, version, axioms, why, seconds)


def markdown(result: CoqCheck | None) -> str:
    """The certificate's section on the Coq proof: what it proves for every size, each sentence tagged."""
    if result is None or not result.checked or not result.ok:
        why = "not asked for" if result is None else result.why
        said = f"The Coq proof (proofs/) was not checked in this run ({why}), so nothing here is claimed for every size."
        return "## For every depth, width and batch size (Coq)\n\n" + tagged((said, tag("Measured", "this run"))) + "\n\n"
    coq = tag("Proven", f"Coq {result.version}, coqc, in this run")
    names = ", ".join(f"`{t}`" for t in THEOREMS)
    axioms = ", ".join(f"`{a}`" for a in ACCEPTED)
    return f"""## For every depth, width and batch size (Coq)

{
        tagged(
            (
                "BP1, BP2, BP3 and BP4 hold for every depth, every list of widths and every batch size N, for any hidden and "
                "output activation differentiable everywhere and any per-sample cost with a gradient, with δ^l defined as the "
                "derivative of the batch cost C = (1/N) Σ_x c_x with respect to z^l (never as the recursion), and ∂C/∂W, "
                "∂C/∂b as its derivatives.",
                coq,
            ),
            (f"The theorems are {names} in proofs/Backprop.v, the softmax form of BP1 (δ^L = Jᵀ ∇_a C) among them.", coq),
            (
                f"Each rests only on {axioms}, as Print Assumptions shows.",
                tag("Measured", "coqc's Print Assumptions, in this run"),
            ),
        )
    }

{
        tagged(
            (
                "That these equations are what `Network.backward` computes is the bridge, and the symbolic tier proves it "
                "of the code on the grid it runs.",
                tag("Proven", "the symbolic tier, on its grid"),
            ),
            (
                "The numeric tiers check it on the networks they draw, deeper and wider than the grid.",
                tag("Cross-checked", "the cells of this certificate"),
            ),
            (
                "Beyond that grid, the code computing the same loop step at every layer remains read off the code.",
                tag("Hypothesis", "the loop of backward; the Coq theorems are about the equations"),
            ),
            (
                "The file proofs/README.md maps each Coq definition to the derivation's equation and to its line of "
                "reference/network.py.",
                tag("Trusted", "the correspondence, read by a person"),
            ),
            ("The update W ← W − η ∂C/∂W is a definition there, not a theorem.", tag("Measured", "proofs/Backprop.v")),
        )
    }

"""
