"""BP1-BP4 proven in Coq for every depth, width and batch size (issue 43): proofs/ compiles, each theorem assumes
only the standard library's classical reals and functional extensionality, and a break of a definition (σ'
dropped from BP2, the transpose lost, the 1/N lost) makes the theorem that rests on it fail to compile."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

PROOFS = Path(__file__).resolve().parents[1] / "proofs"
COQC = shutil.which("coqc")
INSTALL = "apt-get install coq libcoq-coquelicot (Debian's packages), then make -C proofs"
needs_coq = pytest.mark.skipif(COQC is None, reason=f"the Coq proof needs coqc and Coquelicot: {INSTALL}")

THEOREMS = (
    "BP1", "BP2", "BP3", "BP4", "BP1_jacobian", "batch_BP1", "batch_BP2", "batch_delta_is_the_mean",
    "recursion_is_the_gradient", "quadratic_gradient",
)  # fmt: skip
ACCEPTED = {
    "ClassicalDedekindReals.sig_not_dec",  # the standard library's classical real numbers
    "ClassicalDedekindReals.sig_forall_dec",
    "FunctionalExtensionality.functional_extensionality_dep",  # used inside Coquelicot
}
BREAKS = {
    # the break: (the text, what replaces it, the theorem that must then fail to compile)
    "σ' dropped from BP2": (
        "recursion grad rest (affine L (act σ z)) k) * σ' (z j)",
        "recursion grad rest (affine L (act σ z)) k)",
        "recursion_is_the_gradient",
    ),
    "the transpose lost in BP2": ("fun k => W L k j * recursion", "fun k => W L j k * recursion", "recursion_is_the_gradient"),
    "the 1/N of the mean lost": (
        "  / INR N * sum N (fun x => cost_from σ τ (costs x) above (zs x)).",
        "  sum N (fun x => cost_from σ τ (costs x) above (zs x)).",
        "batch_delta_is_the_mean",
    ),
}


def _coqc(folder: Path, name: str) -> subprocess.CompletedProcess[str]:
    command = [str(COQC), "-Q", ".", "Backprop", "-w", "-ambiguous-paths", name]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "proofs"
    folder.mkdir()
    for name in ("Backprop.v", "Assumptions.v"):
        shutil.copy(PROOFS / name, folder / name)
    return folder


def _failing_theorem(source: str, error: str) -> str:
    """The Theorem or Lemma whose text holds the line coqc's error points at."""
    line = int(re.search(r"line (\d+)", error).group(1))  # type: ignore[union-attr]
    names = [m.group(1) for m in re.finditer(r"^(?:Theorem|Lemma) (\w+)", "\n".join(source.splitlines()[:line]), re.M)]
    return names[-1] if names else ""


def test_the_development_admits_nothing_and_declares_no_axiom():
    """Backprop.v holds no Admitted, Axiom, Parameter or Conjecture: its hypotheses are section hypotheses, which
    become premises of each theorem."""
    text = re.sub(r"\(\*.*?\*\)", "", (PROOFS / "Backprop.v").read_text(), flags=re.S)
    for word in ("Admitted", "Axiom", "Parameter", "Conjecture", "admit"):
        assert not re.search(rf"\b{word}\b", text), f"Backprop.v uses {word}"


@needs_coq
@pytest.mark.slow
def test_coqc_accepts_the_proof_and_each_theorem_assumes_only_the_standard_axioms(tmp_path):
    """coqc compiles proofs/ (in under 2 minutes), and Print Assumptions for every theorem lists only the classical
    reals of Coq's standard library and functional extensionality."""
    folder = _copy(tmp_path)
    start = time.perf_counter()
    built = _coqc(folder, "Backprop.v")
    assert built.returncode == 0, built.stderr[-3000:]
    assert time.perf_counter() - start < 120
    printed = _coqc(folder, "Assumptions.v")
    assert printed.returncode == 0, printed.stderr[-3000:]
    blocks = re.split(r"^Axioms:\n", printed.stdout, flags=re.M)[1:]
    assert len(blocks) == len(THEOREMS), printed.stdout[:2000]  # one "Axioms:" block per theorem: none is closed
    for block in blocks:
        names = set(re.findall(r"^([A-Za-z_][\w.]*) *:", block, re.M))
        assert names and names <= ACCEPTED, names - ACCEPTED
    asked = re.findall(r"^Print Assumptions (\w+)\.", (PROOFS / "Assumptions.v").read_text(), re.M)
    assert tuple(asked) == THEOREMS


@needs_coq
@pytest.mark.parametrize("name", list(BREAKS))
def test_a_broken_definition_fails_to_compile_at_its_theorem(name, tmp_path):
    """The proof is no tautology: each break of a definition the derivation rests on is refused by coqc, at the
    theorem that uses it."""
    old, new, theorem = BREAKS[name]
    folder = _copy(tmp_path)
    source = (folder / "Backprop.v").read_text()
    assert source.count(old) == 1, f"the break {name!r} no longer applies: {old!r} is not in Backprop.v once"
    broken = source.replace(old, new)
    (folder / "Backprop.v").write_text(broken)
    done = _coqc(folder, "Backprop.v")
    assert done.returncode != 0, f"coqc accepted the development with {name}"
    assert _failing_theorem(broken, done.stderr) == theorem, done.stderr[-2000:]


def test_the_certificate_claims_every_size_only_with_the_coq_tag():
    """The certificate's Coq section says "for every depth" only in sentences tagged Proven by Coq, when coqc ran and
    accepted the proof; when it did not run, the section claims nothing for every size and every sentence is tagged."""
    from crosscheck.certificate import coq, ledger

    accepted = coq.CoqCheck(checked=True, ok=True, version="8.16.1", axioms={t: list(coq.ACCEPTED) for t in coq.THEOREMS})
    text = coq.markdown(accepted)
    assert not ledger.untagged(text)
    sentences = re.findall(r"[^.\]]*every depth[^\[]*\[[^\]]*\]", text)
    assert sentences, text[:500]
    for sentence in sentences:
        assert "[Proven: Coq 8.16.1, coqc" in sentence, sentence
    for missing in (None, coq.CoqCheck(why="coqc is not installed")):
        said = coq.markdown(missing)
        assert "nothing here is claimed for every size" in said and "hold for every depth" not in said
        assert not ledger.untagged(said)


@needs_coq
def test_the_committed_certificate_cites_the_coq_theorems():
    """docs/CERTIFICATE.md, written where coqc ran, cites each theorem and tags the claim for every size as proven by
    Coq."""
    from crosscheck.certificate import coq

    text = (PROOFS.parent / "docs" / "CERTIFICATE.md").read_text()
    assert "## For every depth, width and batch size (Coq)" in text
    assert re.search(r"hold for every depth[^\[]*\[Proven: Coq 8\.16[^\]]*coqc", text), "no Coq-tagged claim"
    for theorem in coq.THEOREMS:
        assert f"`{theorem}`" in text, theorem
