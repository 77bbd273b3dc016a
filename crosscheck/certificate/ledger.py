"""The trust ledger: every sentence of the Markdown certificate ends with one tag saying what
kind of evidence stands behind it (after lean4-mlir's labels).

    [Proven]         decided exactly by the symbolic tier (crosscheck/proof) or by Coq's kernel (proofs/)
    [Cross-checked]  independent computations agree within a stated tolerance (which, at which)
    [Hypothesis]     assumed, not checked (differentiability, the kink convention)
    [Trusted]        relied on without a check of ours (NumPy/BLAS, the frameworks, SymPy, IEEE rounding)
    [Measured]       recorded by this run (counts, times, versions, the machine, the command)

`tag(kind, detail)` writes one; `untagged(markdown)` lists the sentences that lack one (the
ledger test runs it on every certificate). A sentence is a run of prose ending in '.', '?' or '!'
before a capital letter, in a paragraph or a list item; headings, tables, images and code
blocks are not sentences (a table's caption sentence carries its tag).
"""

from __future__ import annotations

import re

TAGS = {
    "Proven": "decided exactly: by the symbolic tier, an identity over the reals for any σ and cost at the widths stated; "
    "or by Coq's kernel (coqc), a theorem for every depth, width and batch size",
    "Cross-checked": "independent computations (the oracles named) agree within the tolerance stated",
    "Hypothesis": "assumed and not checked: σ and C differentiable away from their kinks; at a kink σ' takes the slope on "
    "the left, relu'(0) = 0 as PyTorch and JAX take it",
    "Trusted": "relied on without a check of ours: NumPy and its BLAS, the frameworks' kernels, SymPy's diff and its "
    "polynomial arithmetic, IEEE 754 rounding, sha256 and git",
    "Measured": "recorded by this run: counts, times, versions, the machine, the command",
}
"""Each tag and what it stands for (the certificate's ledger section lists them)."""

_TAG = re.compile(r"\[(" + "|".join(map(re.escape, TAGS)) + r")(?:: [^\[\]]*)?\]")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z*])")


def tag(kind: str, detail: str = "") -> str:
    """One tag: `[Kind]` or `[Kind: detail]`."""
    if kind not in TAGS:
        raise ValueError(f"kind must be one of {', '.join(TAGS)}, got {kind!r}")
    return f"[{kind}: {detail}]" if detail else f"[{kind}]"


def tagged(*sentences: tuple[str, str]) -> str:
    """A paragraph of (sentence, tag) pairs, each sentence followed by its tag."""
    return " ".join(f"{text} {mark}" for text, mark in sentences)


def untagged(markdown: str) -> list[str]:
    """Every sentence of `markdown` (see the module) without a tag, in order."""
    missing = []
    for block in _prose(markdown):
        pieces = _TAG.split(block)
        # re.split with one group: text, kind, text, kind, ..., text (the tail after the last tag).
        texts = pieces[0::2]
        for i, text in enumerate(texts):
            sentences = [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]
            tail = i == len(texts) - 1
            if tail:
                missing += sentences  # nothing after the last tag may be a sentence
            else:
                missing += sentences[:-1]  # one sentence before each tag, the rest untagged
    return missing


def _prose(markdown: str) -> list[str]:
    """The paragraphs and list items of `markdown`, each joined into one line."""
    blocks: list[str] = []
    current: list[str] = []
    fenced = False

    def close() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            close()
            fenced = not fenced
            continue
        if fenced or not stripped or stripped.startswith(("#", "|", "![")):
            close()
            continue
        if stripped.startswith("- "):
            close()
            stripped = stripped[2:]
        current.append(stripped)
    close()
    return blocks


TRUSTED = (
    (
        "NumPy's float kernels and BLAS compute the same real function as NumPy's object loops",
        "the proof runs `backward` on object arrays; the numeric checks, the certificate and train run it on floats, "
        "through BLAS, on the same lines of code",
    ),
    (
        "np.logaddexp(x, y) is log(e^x + e^y)",
        "it has no object loop; the proof takes it as its definition where softplus calls it",
    ),
    (
        "the symbolic NumPy swap changes no arithmetic",
        "while σ, σ' and the costs run on symbols, their module's `np` lifts the plain numbers beside a symbol "
        "into SymPy values, and `.astype` keeps the symbols",
    ),
    (
        "Coq's kernel (coqc), the standard library's classical reals (sig_not_dec, sig_forall_dec) and functional "
        "extensionality, the only axioms Print Assumptions lists",
        "the theorems for every depth, width and batch size (proofs/Backprop.v)",
    ),
    (
        "the Coq definitions are the derivation's equations as reference/network.py computes them",
        "proofs/README.md maps each definition to its line; the symbolic tier checks the code against the equations on its grid",
    ),
    (
        "SymPy's diff, its polynomial arithmetic over ℚ, and nsimplify's reading of a float constant",
        "the truth's derivatives, the decision that a residual is zero, and the exact constant a float stands for",
    ),
)
"""What the proof relies on without a check of its own: each a row of the ledger section."""


def section() -> str:
    """The certificate's "Trust ledger" section: the tags, as a table (each row names its tag), and
    what the proof trusts (`TRUSTED`), each row tagged."""
    rows = "\n".join(f"| {tag(kind)} | {meaning} |" for kind, meaning in TAGS.items())
    trusted = "\n".join(f"| {claim} | {why} {tag('Trusted')} |" for claim, why in TRUSTED)
    return f"""## Trust ledger

Every sentence of this certificate ends with one tag, the kind of evidence behind it; a sentence without one
fails the ledger test. [Cross-checked: tests/test_certificate.py runs crosscheck.certificate.ledger.untagged on the
certificate]

| tag | stands for |
| --- | --- |
{rows}

What carries the proof from its symbols to the code as it runs on floats, relied on and not checked here:
{tag("Trusted", "each row below")}

| trusted | where it enters |
| --- | --- |
{trusted}

"""
